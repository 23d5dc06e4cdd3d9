from __future__ import annotations

from typing import Protocol
from uuid import UUID

from wallet_domain.model.events import DomainEvent
from wallet_domain.model.transaction import LedgerEntry
from wallet_domain.money import Money


class PendingDeposits(Protocol):
    """Two-phase deposits, in the caller's transaction (never commits)."""

    async def announce(self, user_id: str, money: Money) -> None:
        """Add to the balance's `pending_credit` (creating the balance row at 0 if new).
        Raises ValidationError if balance + pending debit + pending credit would exceed
        MAX_AMOUNT: a pending deposit must always fit once completed."""
        ...

    async def lock(self, user_id: str, deposit_id: UUID) -> LedgerEntry | None:
        """The wallet's DEPOSIT row, locked until the transaction ends (None if none)."""
        ...

    async def settle(self, deposit: LedgerEntry, event: DomainEvent) -> None:
        """Record the PENDING deposit's move to `deposit.status`: COMPLETED credits the
        balance, both take it off `pending_credit`; write `event`."""
        ...
