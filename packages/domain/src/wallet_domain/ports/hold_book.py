from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol
from uuid import UUID

from wallet_domain.model.events import DomainEvent
from wallet_domain.model.hold import Hold, HoldStatus
from wallet_domain.model.transaction import LedgerEntry


class HoldBook(Protocol):
    """Holds and the balance and ledger moves that go with them, in the caller's
    transaction (never commits). Each write is all-or-nothing."""

    async def open(self, hold: Hold, entry: LedgerEntry, created: DomainEvent) -> bool:
        """If the balance covers the hold: debit it (the balance row stays locked until
        commit, so it never goes negative), add the amount to `pending_debit`, and write
        the hold, its HOLD ledger row and `created`. False, with nothing written, if the
        balance does not cover it."""
        ...

    async def lock(self, user_id: str, hold_id: UUID) -> Hold | None:
        """The wallet's hold, locked until the transaction ends (None if it has none)."""
        ...

    async def get(self, user_id: str, hold_id: UUID) -> Hold | None: ...

    async def settle(self, hold: Hold, release: LedgerEntry | None, event: DomainEvent) -> None:
        """Record `hold`'s move out of PENDING: give `release` (if any) back to the
        balance with its HOLD_RELEASE row, take the held amount off `pending_debit`, and
        write `event`. The caller holds the hold's lock (`lock` or `claim_expired`)."""
        ...

    async def page(
        self, user_id: str, status: HoldStatus | None, *, before: UUID | None, limit: int
    ) -> list[Hold]:
        """Up to `limit` holds with id < `before` (all if None), newest first."""
        ...

    async def claim_expired(self, now: datetime, *, limit: int) -> Sequence[Hold]:
        """Lock up to `limit` PENDING holds whose `expires_at` has passed, skipping those
        other transactions hold, ordered so that settling them in turn takes balance rows
        in one global order (no deadlock between workers)."""
        ...
