"""Payments the recovery worker failed to settle, each kept out of its rounds for a while.

One payment that cannot be settled (a bug, a constraint the data breaks, a database error
on its rows) must never stop the worker from settling the others: it is set aside for a
delay that doubles with each failure, up to a cap, and tried again after it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final
from uuid import UUID

DEFAULT_MAX_TRACKED: Final = 10_000


@dataclass(slots=True)
class _Failures:
    count: int
    retry_at: datetime


class SettleBackoff:
    """In-memory and per process: every worker instance keeps its own.

    Bounded: past `max_tracked` payments, the one due soonest is forgotten first (it
    would have been tried again the soonest anyway).
    """

    def __init__(
        self, *, base: timedelta, cap: timedelta, max_tracked: int = DEFAULT_MAX_TRACKED
    ) -> None:
        if base <= timedelta(0) or cap < base or max_tracked < 1:
            raise ValueError("need 0 < base <= cap and max_tracked >= 1")
        self._base = base
        self._cap = cap
        self._max_tracked = max_tracked
        self._failures: dict[UUID, _Failures] = {}

    def failed(self, payment_id: UUID, now: datetime) -> datetime:
        """Record a failure; returns when the payment may be tried again."""
        previous = self._failures.pop(payment_id, None)
        count = 1 if previous is None else previous.count + 1
        delay = min(self._cap, self._base * (1 << min(count - 1, 32)))
        self._failures[payment_id] = _Failures(count=count, retry_at=now + delay)
        if len(self._failures) > self._max_tracked:
            soonest = min(self._failures, key=lambda key: self._failures[key].retry_at)
            del self._failures[soonest]
        return now + delay

    def settled(self, payment_id: UUID) -> None:
        """Forget a payment once it settled (or was found settled by someone else)."""
        self._failures.pop(payment_id, None)

    def waiting(self, now: datetime) -> list[UUID]:
        """The payments still inside their delay: a round must skip them."""
        return [key for key, entry in self._failures.items() if entry.retry_at > now]

    def __len__(self) -> int:
        return len(self._failures)
