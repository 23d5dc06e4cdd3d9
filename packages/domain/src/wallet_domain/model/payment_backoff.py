"""Payments the recovery worker keeps out of its rounds for a while: a delay that doubles
each time a payment is set aside again, up to a cap, then it is tried again.

Two kinds, each its own instance with its own limits:

- `SettleBackoff`: payments the worker failed to look up or settle (a bug, a constraint
  the data breaks, a database error on its rows). One payment that cannot be settled must
  never stop the worker from settling the others.
- `RecheckBackoff`: payments whose outcome the gateway could not tell yet (the provider
  holds the charge, or the lookup failed). Asking about them every round would keep a
  round on the oldest of them and never reach a younger payment a single lookup settles.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final
from uuid import UUID

from wallet_domain.model.doubling_delay import doubling_delay

DEFAULT_MAX_TRACKED: Final = 10_000


@dataclass(slots=True)
class _SetAside:
    count: int
    retry_at: datetime


class PaymentBackoff:
    """In-memory and per process: every worker instance keeps its own (a restarted one
    asks about each payment once more, then sets it aside again).

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
        self._entries: dict[UUID, _SetAside] = {}

    def set_aside(self, payment_id: UUID, now: datetime) -> datetime:
        """Set the payment aside (again); returns when it may be tried again."""
        previous = self._entries.pop(payment_id, None)
        count = 1 if previous is None else previous.count + 1
        delay = doubling_delay(self._base, self._cap, count)
        self._entries[payment_id] = _SetAside(count=count, retry_at=now + delay)
        if len(self._entries) > self._max_tracked:
            soonest = min(self._entries, key=lambda key: self._entries[key].retry_at)
            del self._entries[soonest]
        return now + delay

    def forget(self, payment_id: UUID) -> None:
        """Forget a payment once it settled (or was found settled by someone else)."""
        self._entries.pop(payment_id, None)

    def keep_only(self, payment_ids: Collection[UUID]) -> None:
        """Forget every payment but `payment_ids` (those still PENDING)."""
        for payment_id in [key for key in self._entries if key not in payment_ids]:
            del self._entries[payment_id]

    def waiting(self, now: datetime) -> list[UUID]:
        """The payments still inside their delay: a round must skip them."""
        return [key for key, entry in self._entries.items() if entry.retry_at > now]

    def tracked(self) -> list[UUID]:
        """Every payment set aside, inside its delay or due again."""
        return list(self._entries)

    def __len__(self) -> int:
        return len(self._entries)


class SettleBackoff(PaymentBackoff):
    """Payments the recovery worker failed to look up or settle."""


class RecheckBackoff(PaymentBackoff):
    """Payments whose outcome the gateway could not tell when last asked."""
