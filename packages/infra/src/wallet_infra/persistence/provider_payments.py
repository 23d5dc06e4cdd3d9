"""`ProviderPayments` on PostgreSQL: payments found by id for the provider's events.

The lock is a plain `SELECT ... FOR UPDATE` of the payment's row by primary key, then what
a reconciliation re-debited of it (a statement of its own: see `_REDEBITED`); the refund
is one statement (`statements.provider_refunds`) on the same transaction, whose total,
with the payment's chargebacks, the database bounds by its amount
(`transactions_given_back_within_amount`) and, for a re-debited FAILED or DECLINED
payment, by the re-debit (its ledger trigger).
"""

from __future__ import annotations

from typing import Any, Final
from uuid import UUID

from sqlalchemy import bindparam, func, literal_column, select
from sqlalchemy.ext.asyncio import AsyncSession
from wallet_domain.model.events import DomainEvent
from wallet_domain.model.refundable_payment import RefundablePayment
from wallet_domain.model.transaction import IllegalTransition, LedgerEntry
from wallet_domain.ports.provider_payments import ProviderPayments

from wallet_infra.persistence.driver import fetchrow, json_text
from wallet_infra.persistence.errors import NUMERIC_VALUE_OUT_OF_RANGE
from wallet_infra.persistence.ledger import append_errors
from wallet_infra.persistence.ledger_queries import entry_from_row, entry_row
from wallet_infra.persistence.outbox import TraceparentProvider, event_row
from wallet_infra.persistence.statements.provider_refunds import REFUND
from wallet_infra.persistence.tables import (
    TRANSACTIONS_GIVEN_BACK_WITHIN_AMOUNT,
    WALLET_BALANCES_TOTAL_WITHIN_LIMIT,
    reconciliation_corrections,
    transactions,
)
from wallet_infra.persistence.wallet_balances import balance_over_limit

_t = transactions
_c = reconciliation_corrections
_LOCK: Final = (
    select(*_t.c)
    .where(_t.c.id == bindparam("pid"), _t.c.type == literal_column("'PAYMENT'"))
    .with_for_update(of=_t)
)
# Its own statement, after the lock: a statement that waited for the lock reads the
# locked row as the holder committed it, but every other row as of when it began. Read
# in the lock's statement, a re-debit committed by the holder waited for (which locks
# the payment first) was not seen, and the refund it makes room for was refused.
_REDEBITED: Final = select(func.coalesce(func.sum(_c.c.amount), 0)).where(
    _c.c.payment_id == bindparam("pid"), _c.c.kind == literal_column("'REDEBIT'")
)


def _prefixed(row: dict[str, Any], prefix: str) -> dict[str, Any]:
    return {f"{prefix}{name}": value for name, value in row.items()}


class SqlaProviderPayments(ProviderPayments):
    """On the request session's transaction; never commits."""

    def __init__(
        self, *, session: AsyncSession, traceparent_provider: TraceparentProvider | None = None
    ) -> None:
        self._session = session
        self._traceparent = traceparent_provider

    async def lock(self, payment_id: UUID) -> RefundablePayment | None:
        row = (await self._session.execute(_LOCK, {"pid": payment_id})).first()
        if row is None:
            return None
        redebited = (await self._session.execute(_REDEBITED, {"pid": payment_id})).scalar_one()
        return RefundablePayment(
            payment=entry_from_row(row._mapping),
            refunded=row.refunded_amount,
            charged_back=row.charged_back_amount,
            redebited=int(redebited),
        )

    async def refund(self, refund: LedgerEntry, created: DomainEvent) -> None:
        traceparent = None if self._traceparent is None else self._traceparent()
        event = event_row(created, traceparent) | {"payload": json_text(created.payload)}
        params = {
            "payment_id": refund.refund_of,
            "amount": refund.money.amount,
            **_prefixed(entry_row(refund), "t_"),
            **_prefixed(event, "e0_"),
        }
        over = lambda: IllegalTransition(  # noqa: E731 - the error factory the driver takes
            f"refunds of payment {refund.refund_of} would exceed its amount"
        )
        constraints = {
            **append_errors(refund),
            TRANSACTIONS_GIVEN_BACK_WITHIN_AMOUNT: over,
            WALLET_BALANCES_TOTAL_WITHIN_LIMIT: balance_over_limit,
        }
        row = await fetchrow(
            self._session,
            "provider_payments.refund",
            REFUND,
            params,
            constraints=constraints,
            sqlstates={NUMERIC_VALUE_OUT_OF_RANGE: balance_over_limit},
        )
        if not row["refunded"]:
            # The caller holds the payment's lock and saw it refundable: a broken contract.
            raise RuntimeError(f"payment {refund.refund_of} was not refundable under its lock")
