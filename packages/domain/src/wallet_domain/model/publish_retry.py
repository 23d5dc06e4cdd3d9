"""When the relay offers again an event the broker did not confirm.

Per event, kept on its outbox row (`attempts`, `next_attempt_at`): an event the broker
keeps refusing (unroutable, nacked, unconfirmed in time) waits out its own delay, while
the events around it, older or newer, are claimed and published at full pace. The delay
doubles with each failed attempt, from `base` up to `cap`, and the event is offered again
forever at most `cap` apart: an event is owed to its consumers and never dropped (the
oldest-unsent alert tells an operator it is stuck).

Only the delay is decided here: the store counts it from the database's clock, the one
every relay claims by, so a relay whose own clock is off cannot move another's retries.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from wallet_domain.model.doubling_delay import doubling_delay


@dataclass(frozen=True, slots=True, kw_only=True)
class PublishRetry:
    base: timedelta
    cap: timedelta

    def __post_init__(self) -> None:
        if self.base <= timedelta(0) or self.cap < self.base:
            raise ValueError("need 0 < base <= cap")

    def delay(self, attempts: int) -> timedelta:
        """The wait after the `attempts`-th failed attempt (1 for the first)."""
        return doubling_delay(self.base, self.cap, attempts)
