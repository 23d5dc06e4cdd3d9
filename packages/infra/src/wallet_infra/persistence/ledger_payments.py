"""`LedgerPayments` on PostgreSQL: payments read for reconciliation, in id order.

Core through the request's session (not a hot path). The window is applied to the id:
ids are UUIDv7, whose first 48 bits are the creation time in milliseconds, so a window
is one range of the primary key, read in index order in batches, whatever the table's
size. Each payment comes with what was given back of it: its compensating REFUND row, or
the provider refunds of an APPROVED one (their total is kept on the payment's row).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any, Final
from uuid import UUID

from sqlalchemy import Select, bindparam, func, literal_column, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from wallet_domain.model.reconciliation import LedgerPayment
from wallet_domain.model.transaction import TransactionStatus
from wallet_domain.ports.ledger_payments import LedgerPayments

from wallet_infra.persistence.tables import transactions

BATCH: Final = 1000
_p = transactions
_r = aliased(transactions, name="r")
_COLUMNS: Final = (
    _p.c.id,
    _p.c.user_id,
    _p.c.status,
    (-_p.c.amount).label("amount"),
    _p.c.currency,
    _p.c.created_at,
    (
        func.coalesce(
            select(func.sum(_r.c.amount)).where(_r.c.refund_of == _p.c.id).scalar_subquery(), 0
        )
        + _p.c.refunded_amount
    ).label("refunded"),
)
_PAYMENT: Final = _p.c.type == literal_column("'PAYMENT'")
_BATCH: Final[Select[Any]] = (
    select(*_COLUMNS)
    .where(
        _PAYMENT,
        _p.c.id > bindparam("after"),
        _p.c.id < bindparam("until_id"),
    )
    .order_by(_p.c.id)
    .limit(BATCH)
)
_ONE: Final[Select[Any]] = select(*_COLUMNS).where(_PAYMENT, _p.c.id == bindparam("pid"))


def uuid7_floor(moment: datetime) -> UUID:
    """The smallest UUIDv7 of `moment`'s millisecond: every id made from then on is >= it."""
    return UUID(int=int(moment.timestamp() * 1000) << 80)


class SqlaLedgerPayments(LedgerPayments):
    def __init__(self, *, session: AsyncSession) -> None:
        self._session = session

    async def payments(self, since: datetime, until: datetime) -> AsyncIterator[LedgerPayment]:
        after = UUID(int=uuid7_floor(since).int - 1)
        params: dict[str, Any] = {"until_id": uuid7_floor(until)}
        while True:
            rows = (await self._session.execute(_BATCH, {**params, "after": after})).all()
            for row in rows:
                yield _payment(row)
            if len(rows) < BATCH:
                return
            after = rows[-1].id

    async def payment(self, payment_id: UUID) -> LedgerPayment | None:
        row = (await self._session.execute(_ONE, {"pid": payment_id})).first()
        return None if row is None else _payment(row)


def _payment(row: Any) -> LedgerPayment:
    return LedgerPayment(
        id=UUID(int=row.id.int),
        user_id=row.user_id,
        status=TransactionStatus(row.status),
        amount=int(row.amount),
        currency=row.currency,
        created_at=row.created_at,
        refunded_amount=int(row.refunded),
    )
