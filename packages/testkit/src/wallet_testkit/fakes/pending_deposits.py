"""Fake of the `PendingDeposits` port."""

from __future__ import annotations

from uuid import UUID

from wallet_domain.errors import (
    ValidationError,
)
from wallet_domain.model.events import DomainEvent
from wallet_domain.model.transaction import (
    LedgerEntry,
    TransactionStatus,
)
from wallet_domain.money import MAX_AMOUNT, Money
from wallet_domain.ports.pending_deposits import PendingDeposits

from wallet_testkit.fakes.store import IntegrityViolation, latest_row, owed_total
from wallet_testkit.fakes.unit_of_work import FakeTransactionManager


class FakePendingDeposits(PendingDeposits):
    """Pending credits computed from the ledger's PENDING deposits (as the DB keeps them on
    the balance row); the bound and the PENDING guard are the DB's."""

    def __init__(self, tx: FakeTransactionManager) -> None:
        self._tx = tx

    async def announce(self, user_id: str, money: Money) -> None:
        tables = self._tx.tables
        if user_id not in tables.wallets:
            raise IntegrityViolation(f"no wallet {user_id!r} (foreign key)")
        key = (user_id, money.currency)
        balance = tables.balances.get(key, 0)
        if balance + owed_total(tables, user_id, money.currency) + money.amount > MAX_AMOUNT:
            raise ValidationError("balance would overflow", field="amount")
        tables.balances[key] = balance

    async def lock(self, user_id: str, deposit_id: UUID) -> LedgerEntry | None:
        tables = self._tx.tables
        base = self._tx._base.ledger if self._tx._base is not None else {}
        entry = latest_row(tables.ledger, base, self._tx.db.committed.ledger, deposit_id)
        return entry if entry is not None and entry.user_id == user_id else None

    async def settle(self, deposit: LedgerEntry, event: DomainEvent) -> None:
        tables = self._tx.tables
        current = await self.lock(deposit.user_id, deposit.id)
        if current is None or current.status is not TransactionStatus.PENDING:
            raise IntegrityViolation(f"deposit {deposit.id} is not PENDING (trigger)")
        tables.ledger[deposit.id] = deposit
        if deposit.status is TransactionStatus.COMPLETED:
            tables.add_to_balance(deposit.user_id, deposit.money.currency, deposit.money.amount)
        tables.outbox.append(event)
