"""`DisputeBook` on PostgreSQL: the `disputes` table and a won dispute's credit.

Not a hot path: each step is a plain statement on the request's session, in the caller's
transaction. The database keeps the rules whatever runs: a trigger holds a dispute to
its graph and writes its `dispute_events` row on every move, a partial unique index
allows one open dispute per payment, another allows one CHARGEBACK per dispute, and the
payment row's charged-back total, with its refunds, stays within its amount.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final
from uuid import UUID

from sqlalchemy import Row, bindparam, case, func, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from wallet_domain.errors import InvalidState
from wallet_domain.model.dispute import Dispute, DisputeStatus
from wallet_domain.model.events import DomainEvent
from wallet_domain.model.pagination import LedgerPosition
from wallet_domain.model.transaction import IllegalTransition, LedgerEntry
from wallet_domain.money import Money
from wallet_domain.ports.dispute_book import DisputeBook, StrandedFiling

from wallet_infra.persistence.errors import NUMERIC_VALUE_OUT_OF_RANGE, translated
from wallet_infra.persistence.ledger import append_errors
from wallet_infra.persistence.ledger_queries import INSERT_ENTRY, entry_row
from wallet_infra.persistence.outbox import SqlaOutboxWriter, TraceparentProvider
from wallet_infra.persistence.position_pages import page_query, position_of, position_query
from wallet_infra.persistence.tables import (
    DISPUTES_ONE_OPEN_PER_PAYMENT,
    TRANSACTIONS_CHARGEBACK_ONCE,
    TRANSACTIONS_GIVEN_BACK_WITHIN_AMOUNT,
    WALLET_BALANCES_TOTAL_WITHIN_LIMIT,
    disputes,
)
from wallet_infra.persistence.wallet_balances import CREDIT_ON_CONFLICT, balance_over_limit

_d = disputes

_INSERT: Final = _d.insert()
_BY_ID: Final = select(*_d.c).where(_d.c.id == bindparam("did"))
_BY_ID_OWNED: Final = _BY_ID.where(_d.c.user_id == bindparam("uid"))
_UPDATE: Final = (
    _d.update()
    .where(_d.c.id == bindparam("did"))
    .values(status=bindparam("status"), evidence=bindparam("evidence"), updated_at=bindparam("at"))
)
_AWAITING_REPLY: Final = (
    select(*_d.c).where(_d.c.id == bindparam("did"), _d.c.filing_key.is_not(None)).with_for_update()
)
_HELD_AT_LEAST: Final = func.greatest(_d.c.evidence_forwarded, bindparam("held"))
_ANSWERED: Final = (
    _d.update()
    .where(_d.c.id == bindparam("did"))
    .values(filing_key=None, evidence_forwarded=_HELD_AT_LEAST)
)
# The disputes whose evidence the provider may lack, in the order they fall due; the
# predicate is disputes_evidence_to_forward_idx's, written as literals so the planner can
# match it under a generic plan.
_EVIDENCE_DUE: Final = (
    select(_d.c.id)
    .where(
        text("status IN ('OPEN', 'UNDER_REVIEW')"),
        _d.c.filing_key.is_(None),
        _d.c.evidence_forwarded < func.jsonb_array_length(_d.c.evidence),
        or_(_d.c.evidence_due_at.is_(None), _d.c.evidence_due_at <= bindparam("due_by")),
    )
    .order_by(_d.c.evidence_due_at.asc().nulls_first(), _d.c.created_at)
    .limit(1)
    .with_for_update(skip_locked=True)
    .scalar_subquery()
)
_CLAIM_EVIDENCE: Final = (
    _d.update()
    .where(_d.c.id == _EVIDENCE_DUE)
    .values(evidence_due_at=bindparam("lease_until"))
    .returning(*_d.c)
)
_FORWARDED: Final = (
    _d.update()
    .where(_d.c.id == bindparam("did"))
    .values(
        evidence_forwarded=_HELD_AT_LEAST,
        evidence_due_at=bindparam("next_at"),
        # What the provider holds is part of the dispute: a higher count is a change.
        updated_at=case(
            (bindparam("held") > _d.c.evidence_forwarded, bindparam("at")),
            else_=_d.c.updated_at,
        ),
    )
)
_STRANDED: Final = (
    select(*_d.c)
    .where(
        _d.c.filing_key.is_not(None),
        _d.c.created_at < bindparam("before"),
        or_(_d.c.filing_retry_at.is_(None), _d.c.filing_retry_at <= bindparam("due_by")),
    )
    .order_by(_d.c.filing_retry_at.asc().nulls_first(), _d.c.created_at)
    .limit(bindparam("limit"))
    .with_for_update(skip_locked=True)
)
_ASK_AGAIN: Final = (
    _d.update()
    .where(_d.c.id == bindparam("did"))
    .values(filing_retry_at=bindparam("at"), filing_attempts=_d.c.filing_attempts + 1)
)
# The disputed payment's charged-back total: with its refunds, the database bounds it by
# the payment's amount (transactions_given_back_within_amount).
_CHARGED_BACK: Final = text(
    "UPDATE transactions SET charged_back_amount = charged_back_amount + CAST(:amt AS bigint)"
    " WHERE id = :pid AND type = 'PAYMENT' AND status = 'APPROVED'"
)
_CREDIT: Final = text(
    "INSERT INTO wallet_balances (user_id, currency, balance) VALUES (:uid, :cur, :amt)"  # noqa: S608 - constants only
    f"{CREDIT_ON_CONFLICT}"
)


def dispute_from_row(row: Row[Any]) -> Dispute:
    return Dispute(
        id=row.id,
        payment_id=row.payment_id,
        user_id=row.user_id,
        money=Money(row.amount, row.currency),
        reason=row.reason,
        status=DisputeStatus(row.status),
        evidence=tuple(row.evidence),
        created_at=row.created_at,
        updated_at=row.updated_at,
        evidence_forwarded=row.evidence_forwarded,
    )


class SqlaDisputeBook(DisputeBook):
    """Disputes in the request's session; never commits."""

    def __init__(
        self, *, session: AsyncSession, traceparent_provider: TraceparentProvider | None = None
    ) -> None:
        self._session = session
        self._outbox = SqlaOutboxWriter(session=session, traceparent_provider=traceparent_provider)

    async def open(self, dispute: Dispute, opened: DomainEvent, *, filing_key: str) -> None:
        row = {
            "id": dispute.id,
            "payment_id": dispute.payment_id,
            "user_id": dispute.user_id,
            "amount": dispute.money.amount,
            "currency": dispute.money.currency,
            "reason": dispute.reason,
            "status": dispute.status.value,
            "evidence": list(dispute.evidence),
            "created_at": dispute.created_at,
            "updated_at": dispute.updated_at,
            "filing_key": filing_key,
        }
        with translated(
            constraints={
                DISPUTES_ONE_OPEN_PER_PAYMENT: lambda: InvalidState(
                    "the payment already has an open dispute",
                    payment_id=str(dispute.payment_id),
                )
            },
        ):
            await self._session.execute(_INSERT, row)
        await self._outbox.add(opened)

    async def lock_filing(self, dispute_id: UUID) -> StrandedFiling | None:
        row = (await self._session.execute(_AWAITING_REPLY, {"did": dispute_id})).first()
        if row is None:
            return None
        return StrandedFiling(dispute_from_row(row), row.filing_key, row.filing_attempts)

    async def filing_answered(self, dispute_id: UUID, *, evidence_held: int) -> None:
        await self._session.execute(_ANSWERED, {"did": dispute_id, "held": evidence_held})

    async def claim_evidence_to_forward(
        self, *, due_by: datetime, lease_until: datetime
    ) -> Dispute | None:
        params = {"due_by": due_by, "lease_until": lease_until}
        row = (await self._session.execute(_CLAIM_EVIDENCE, params)).first()
        return None if row is None else dispute_from_row(row)

    async def record_forwarding(
        self, dispute_id: UUID, *, evidence_held: int, next_at: datetime | None, at: datetime
    ) -> None:
        params = {"did": dispute_id, "held": evidence_held, "next_at": next_at, "at": at}
        await self._session.execute(_FORWARDED, params)

    async def claim_stranded_filings(
        self, opened_before: datetime, *, due_by: datetime, limit: int
    ) -> list[StrandedFiling]:
        params = {"before": opened_before, "due_by": due_by, "limit": limit}
        rows = await self._session.execute(_STRANDED, params)
        return [
            StrandedFiling(dispute_from_row(row), row.filing_key, row.filing_attempts)
            for row in rows
        ]

    async def ask_again_at(self, dispute_id: UUID, at: datetime) -> None:
        await self._session.execute(_ASK_AGAIN, {"did": dispute_id, "at": at})

    async def lock(self, dispute_id: UUID, owner: str | None) -> Dispute | None:
        return await self._one(dispute_id, owner, lock=True)

    async def get(self, dispute_id: UUID, owner: str | None) -> Dispute | None:
        return await self._one(dispute_id, owner, lock=False)

    async def _one(self, dispute_id: UUID, owner: str | None, *, lock: bool) -> Dispute | None:
        statement = _BY_ID if owner is None else _BY_ID_OWNED
        if lock:
            statement = statement.with_for_update()
        row = (await self._session.execute(statement, {"did": dispute_id, "uid": owner})).first()
        return None if row is None else dispute_from_row(row)

    async def save(self, dispute: Dispute, event: DomainEvent | None) -> None:
        params = {
            "did": dispute.id,
            "status": dispute.status.value,
            "evidence": list(dispute.evidence),
            "at": dispute.updated_at,
        }
        await self._session.execute(_UPDATE, params)
        if event is not None:
            await self._outbox.add(event)

    async def credit_chargeback(self, entry: LedgerEntry, *, payment_id: UUID) -> None:
        errors = append_errors(entry) | {
            TRANSACTIONS_CHARGEBACK_ONCE: lambda: IllegalTransition(
                f"dispute {entry.dispute_id} was already credited"
            ),
            TRANSACTIONS_GIVEN_BACK_WITHIN_AMOUNT: lambda: IllegalTransition(
                f"payment {payment_id} would give back more than its amount"
            ),
            WALLET_BALANCES_TOTAL_WITHIN_LIMIT: balance_over_limit,
        }
        with translated(
            constraints=errors,
            sqlstates={NUMERIC_VALUE_OUT_OF_RANGE: balance_over_limit},
        ):
            charged_back = await self._session.execute(
                _CHARGED_BACK, {"pid": payment_id, "amt": entry.money.amount}
            )
            if charged_back.rowcount != 1:  # type: ignore[attr-defined]  # a CursorResult
                raise IllegalTransition(f"payment {payment_id} is not an APPROVED payment")
            await self._session.execute(
                _CREDIT,
                {"uid": entry.user_id, "cur": entry.money.currency, "amt": entry.money.amount},
            )
            await self._session.execute(INSERT_ENTRY, entry_row(entry))

    async def page(
        self,
        user_id: str,
        status: DisputeStatus | None,
        *,
        before: LedgerPosition | None,
        limit: int,
    ) -> list[Dispute]:
        """Newest first through disputes_user_id_created_at_id_idx."""
        statement, params = page_query(_d, user_id, status, before=before, limit=limit)
        return [dispute_from_row(row) for row in await self._session.execute(statement, params)]

    async def position(self, user_id: str, dispute_id: UUID) -> LedgerPosition | None:
        statement, params = position_query(_d, user_id, dispute_id)
        return position_of((await self._session.execute(statement, params)).first())
