"""`ChargeCorrections` on PostgreSQL: the `reconciliation_corrections` table.

Core through the request's session (an operator tool's write, not a hot path). The
primary key (payment_id, kind) is what makes a correction happen once: a second insert
does nothing, and one racing an uncommitted first waits for it and then does nothing.
A REDEBIT of a payment whose provider refund is stored is refused by the table's trigger
(0038), whoever writes it: `RefundedByProvider`.
"""

from __future__ import annotations

from typing import Any, Final
from uuid import UUID

from sqlalchemy import Select, bindparam, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from wallet_domain.errors import RefundedByProvider
from wallet_domain.model.correction import Correction, CorrectionKind
from wallet_domain.ports.charge_corrections import ChargeCorrections

from wallet_infra.persistence.errors import translated
from wallet_infra.persistence.tables import (
    RECONCILIATION_CORRECTIONS_NOT_REFUNDED_THERE,
    RECONCILIATION_CORRECTIONS_PKEY,
    reconciliation_corrections,
)

_c = reconciliation_corrections
_KINDS: Final[Select[Any]] = select(_c.c.kind).where(_c.c.payment_id == bindparam("pid"))


class SqlaChargeCorrections(ChargeCorrections):
    def __init__(self, *, session: AsyncSession) -> None:
        self._session = session

    async def kinds(self, payment_id: UUID) -> frozenset[CorrectionKind]:
        rows = await self._session.execute(_KINDS, {"pid": payment_id})
        return frozenset(CorrectionKind(kind) for kind in rows.scalars())

    async def record(self, correction: Correction) -> bool:
        statement = (
            insert(_c)
            .values(
                payment_id=correction.payment_id,
                kind=correction.kind.value,
                user_id=correction.user_id,
                amount=correction.money.amount,
                currency=correction.money.currency,
                transaction_id=correction.transaction_id,
                reason=correction.reason,
                created_at=correction.at,
            )
            .on_conflict_do_nothing(constraint=RECONCILIATION_CORRECTIONS_PKEY)
            .returning(_c.c.payment_id)
        )
        refused = {
            RECONCILIATION_CORRECTIONS_NOT_REFUNDED_THERE: lambda: RefundedByProvider(
                payment_id=str(correction.payment_id)
            )
        }
        with translated(constraints=refused):
            return (await self._session.execute(statement)).first() is not None
