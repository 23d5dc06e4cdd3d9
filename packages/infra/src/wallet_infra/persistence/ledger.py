"""`Ledger` on PostgreSQL: the append-only `transactions` table.

Immutability is the database's job (a trigger allows only a PENDING payment's single
status move; `transactions_refund_once` makes "refunded at most once" a fact). Pages are
keyset scans of the (user_id, created_at DESC, id DESC) index, so a deep page costs what
the first does.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession
from wallet_domain.errors import PaymentNotFound, ProviderNotFound, WalletNotFound
from wallet_domain.model.pagination import LedgerFilter, LedgerPosition
from wallet_domain.model.transaction import (
    IllegalTransition,
    LedgerEntry,
)
from wallet_domain.ports.ledger import Ledger

from wallet_infra.persistence.driver import fetch, fetchrow
from wallet_infra.persistence.errors import ErrorFactory, translated
from wallet_infra.persistence.ledger_queries import (
    CLAIM_STALE_PENDING,
    CLAIM_STALE_PENDING_ONE,
    GET_ENTRY,
    INSERT_ENTRY,
    STILL_PENDING,
    entry_from_row,
    entry_row,
    page_query,
)
from wallet_infra.persistence.tables import (
    TRANSACTIONS_PROVIDER_ID_FKEY,
    TRANSACTIONS_REFUND_OF_FKEY,
    TRANSACTIONS_REFUND_ONCE,
    TRANSACTIONS_USER_ID_FKEY,
)


def append_errors(entry: LedgerEntry) -> dict[str, ErrorFactory]:
    # A second refund means two resolvers both settled one payment: a bug, not a user error.
    return {
        TRANSACTIONS_REFUND_ONCE: lambda: IllegalTransition(
            f"payment {entry.refund_of} is already refunded"
        ),
        TRANSACTIONS_USER_ID_FKEY: lambda: WalletNotFound(user_id=entry.user_id),
        TRANSACTIONS_PROVIDER_ID_FKEY: lambda: ProviderNotFound(provider_id=str(entry.provider_id)),
        TRANSACTIONS_REFUND_OF_FKEY: lambda: PaymentNotFound(payment_id=str(entry.refund_of)),
    }


class SqlaLedger(Ledger):
    """Ledger rows in the request's session; never commits."""

    def __init__(self, *, session: AsyncSession) -> None:
        self._session = session

    async def append(self, entry: LedgerEntry) -> None:
        with translated(constraints=append_errors(entry)):
            await self._session.execute(INSERT_ENTRY, entry_row(entry))

    async def get(self, user_id: str, transaction_id: UUID) -> LedgerEntry | None:
        params = {"tid": transaction_id, "uid": user_id}
        row = await fetchrow(self._session, "ledger.get", GET_ENTRY, params)
        return None if row is None else entry_from_row(row)

    async def claim_stale_pending(
        self, created_before: datetime, *, skip: Sequence[UUID] = (), only: UUID | None = None
    ) -> LedgerEntry | None:
        params: dict[str, object] = {"cutoff": created_before, "skip": list(skip)}
        statement = CLAIM_STALE_PENDING
        if only is not None:
            statement, params["only"] = CLAIM_STALE_PENDING_ONE, only
        row = (await self._session.execute(statement, params)).first()
        return None if row is None else entry_from_row(row._mapping)

    async def still_pending(self, payment_ids: Sequence[UUID]) -> set[UUID]:
        result = await self._session.execute(STILL_PENDING, {"ids": list(payment_ids)})
        return set(result.scalars())

    async def page(
        self, user_id: str, filters: LedgerFilter, *, before: LedgerPosition | None, limit: int
    ) -> list[LedgerEntry]:
        statement, params = page_query(user_id, filters, before=before, limit=limit)
        rows = await fetch(self._session, "ledger.page", statement, params)
        return [entry_from_row(row) for row in rows]
