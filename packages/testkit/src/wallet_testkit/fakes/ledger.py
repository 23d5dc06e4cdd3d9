"""Fake of the `Ledger` port."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from wallet_domain.model.pagination import LedgerFilter, LedgerPosition
from wallet_domain.model.transaction import (
    LedgerEntry,
    TransactionStatus,
    TransactionType,
)
from wallet_domain.ports.ledger import Ledger

from wallet_testkit.fakes.store import check_appendable
from wallet_testkit.fakes.unit_of_work import FakeTransactionManager


class FakeLedger(Ledger):
    """Append-only; unique ids, at most one refund per payment."""

    def __init__(self, tx: FakeTransactionManager) -> None:
        self._tx = tx

    async def append(self, entry: LedgerEntry) -> None:
        ledger = self._tx.tables.ledger
        check_appendable(ledger, entry)
        ledger[entry.id] = entry

    async def get(self, user_id: str, transaction_id: UUID) -> LedgerEntry | None:
        entry = self._tx.tables.ledger.get(transaction_id)
        return entry if entry is not None and entry.user_id == user_id else None

    async def claim_stale_pending(
        self, created_before: datetime, *, skip: Sequence[UUID] = (), only: UUID | None = None
    ) -> LedgerEntry | None:
        locks = self._tx.db.locks
        candidates = sorted(
            (
                e
                for e in self._tx.tables.ledger.values()
                if e.type is TransactionType.PAYMENT
                and e.status is TransactionStatus.PENDING
                and e.created_at < created_before
                and e.id not in skip
                and (only is None or e.id == only)
                and locks.get(e.id, self._tx) is self._tx
            ),
            key=lambda e: (e.created_at, e.id),
        )
        if not candidates:
            return None
        locks[candidates[0].id] = self._tx
        return candidates[0]

    async def still_pending(self, payment_ids: Sequence[UUID]) -> set[UUID]:
        ledger = self._tx.tables.ledger
        return {
            payment_id
            for payment_id in payment_ids
            if (entry := ledger.get(payment_id)) is not None
            and entry.type is TransactionType.PAYMENT
            and entry.status is TransactionStatus.PENDING
        }

    async def page(
        self, user_id: str, filters: LedgerFilter, *, before: LedgerPosition | None, limit: int
    ) -> list[LedgerEntry]:
        rows = [
            e
            for e in self._tx.tables.ledger.values()
            if e.user_id == user_id
            and (before is None or (e.created_at, e.id) < (before.created_at, before.id))
            and (filters.type is None or e.type is filters.type)
            and (filters.status is None or e.status is filters.status)
            and (filters.currency is None or e.money.currency == filters.currency)
        ]
        return sorted(rows, key=lambda e: (e.created_at, e.id), reverse=True)[:limit]
