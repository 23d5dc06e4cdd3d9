"""Release holds whose time ran out."""

from __future__ import annotations

from dataclasses import dataclass

from wallet_domain.hold_moves import move_hold, moved_under_lock
from wallet_domain.model.hold import HoldStatus
from wallet_domain.ports.clock import Clock
from wallet_domain.ports.hold_book import HoldBook
from wallet_domain.ports.id_generator import IdGenerator
from wallet_domain.ports.transaction_manager import TransactionManager
from wallet_domain.unit_of_work import rolling_back


@dataclass(frozen=True, slots=True, kw_only=True)
class ExpireHoldsRequest:
    batch: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ExpireHolds:
    """Move up to `batch` PENDING holds past `expires_at` (by the database's clock, the
    one a completion or revert is refused by) to EXPIRED, releasing their whole amount,
    with `hold.expired` each; returns how many.

    Rules: any number of workers may run: each claims its batch with the rows locked,
    skipping those another holds, so each hold expires once; a complete or revert that
    locked the hold first wins and the worker no longer sees it PENDING. One batch is one
    transaction: all of it or none. A completion or revert that reaches a due hold
    first expires it the same way (SettleHold): the worker then no longer sees it.
    """

    book: HoldBook
    tx: TransactionManager
    clock: Clock
    ids: IdGenerator

    async def execute(self, request: ExpireHoldsRequest) -> int:
        now = self.clock.now()
        async with rolling_back(self.tx):
            holds = await self.book.claim_expired(limit=request.batch)
            for hold in holds:
                settled = await move_hold(
                    book=self.book, ids=self.ids, hold=hold, to=HoldStatus.EXPIRED, at=now
                )
                moved_under_lock(settled, hold)
            await self.tx.commit()
        return len(holds)
