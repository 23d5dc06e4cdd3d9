"""A pending deposit's single move, shared by complete and revert."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Final
from uuid import UUID

from wallet_domain.errors import DepositNotFound, InvalidState
from wallet_domain.model.events import EventType, event_for
from wallet_domain.model.transaction import LedgerEntry, TransactionStatus, TransactionType
from wallet_domain.ports.id_generator import IdGenerator
from wallet_domain.ports.pending_deposits import PendingDeposits

_EVENTS: Final = {
    TransactionStatus.COMPLETED: EventType.DEPOSIT_COMPLETED,
    TransactionStatus.REVERTED: EventType.DEPOSIT_REVERTED,
}


async def move_deposit(
    *,
    deposits: PendingDeposits,
    ids: IdGenerator,
    user_id: str,
    deposit_id: UUID,
    to: TransactionStatus,
    at: datetime,
    once_locked: Callable[[], Awaitable[None]] | None = None,
) -> LedgerEntry:
    """Lock the wallet's deposit and settle it as `to` if PENDING. One already in `to` is
    returned as is (a repeat of the winning action); any other state is INVALID_STATE.
    `once_locked` (an If-Match check) runs when the deposit is locked and found, before
    anything else: the deposit's row before the wallet's, the order of a settlement
    without it, so the two never deadlock."""
    deposit = await deposits.lock(user_id, deposit_id)
    if deposit is None or deposit.type is not TransactionType.DEPOSIT:
        raise DepositNotFound(deposit_id=str(deposit_id))
    if once_locked is not None:
        await once_locked()
    if deposit.status is not TransactionStatus.PENDING:
        if deposit.status is to:
            return deposit
        raise InvalidState(
            f"the deposit is already {deposit.status.value}", status=deposit.status.value
        )
    settled = deposit.settle_deposit(to, at)
    await deposits.settle(settled, event_for(_EVENTS[to], settled, event_id=ids.new_id(), at=at))
    return settled
