"""Ledger entries read straight on the engine's pool: no session at all.

A history page is one statement that is its own transaction (plus the wallet check of an
empty page, see `PooledWalletReads`), which is what `SqlaLedger` does for it too when no
transaction is open; holding no session, this one can be built once per process (APP
scope), and a history request on the primary builds nothing per request.
"""

from __future__ import annotations

from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncEngine
from wallet_domain.model.pagination import LedgerFilter, LedgerPosition
from wallet_domain.model.transaction import LedgerEntry
from wallet_domain.ports.ledger import LedgerReads

from wallet_infra.persistence.driver import fetch_pooled
from wallet_infra.persistence.ledger_queries import GET_ENTRY, entry_from_row, page_query


class PooledLedgerReads(LedgerReads):
    """Each read its own statement on a connection of `engine`'s pool."""

    def __init__(self, *, engine: AsyncEngine) -> None:
        self._engine = engine

    async def get(self, user_id: str, transaction_id: UUID) -> LedgerEntry | None:
        params = {"tid": transaction_id, "uid": user_id}
        rows = await fetch_pooled(self._engine, "ledger.get", GET_ENTRY, params)
        return entry_from_row(rows[0]) if rows else None

    async def page(
        self, user_id: str, filters: LedgerFilter, *, before: LedgerPosition | None, limit: int
    ) -> list[LedgerEntry]:
        statement, params = page_query(user_id, filters, before=before, limit=limit)
        rows = await fetch_pooled(self._engine, "ledger.page", statement, params)
        return [entry_from_row(row) for row in rows]
