"""Lag-tolerant reads of a process with no replica: each on the primary's pool, counted
in `wallet_db_reads_total{target="primary"}` as a `ReadRouter` counts them.

With no replica configured, a router would send every read to the primary anyway, and
it is one per request: a session, the router and the `ReplicaFirst*` adapters, built and
closed for each history page. These hold no session, so the use case built on them is
built once per process (see the API's `PrimaryOnlyHistoryProvider`).
"""

from __future__ import annotations

from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncEngine
from wallet_domain.model.pagination import LedgerFilter, LedgerPosition
from wallet_domain.model.transaction import LedgerEntry
from wallet_domain.model.wallet import Wallet
from wallet_domain.ports.ledger import LedgerReads
from wallet_domain.ports.wallets import WalletLookup

from wallet_infra.persistence.pooled_ledger_reads import PooledLedgerReads
from wallet_infra.persistence.pooled_wallet_reads import PooledWalletReads
from wallet_infra.read_replicas.metrics import READS_ON_PRIMARY


class PrimaryOnlyWallets(WalletLookup):
    def __init__(self, *, engine: AsyncEngine) -> None:
        self._reads = PooledWalletReads(engine=engine)

    async def get(self, user_id: str) -> Wallet | None:
        READS_ON_PRIMARY.inc()
        return await self._reads.get(user_id)


class PrimaryOnlyLedger(LedgerReads):
    def __init__(self, *, engine: AsyncEngine) -> None:
        self._reads = PooledLedgerReads(engine=engine)

    async def get(self, user_id: str, transaction_id: UUID) -> LedgerEntry | None:
        READS_ON_PRIMARY.inc()
        return await self._reads.get(user_id, transaction_id)

    async def page(
        self, user_id: str, filters: LedgerFilter, *, before: LedgerPosition | None, limit: int
    ) -> list[LedgerEntry]:
        READS_ON_PRIMARY.inc()
        return await self._reads.page(user_id, filters, before=before, limit=limit)
