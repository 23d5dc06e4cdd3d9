"""Read replicas (APP) and each request's read router (REQUEST), for the API.

The router needs the request's `ReadConsistency`, which only the API can tell (a header),
so this provider is the API's to add; the other apps read nothing through replicas.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Final

from dishka import Provider, Scope, provide
from sqlalchemy.ext.asyncio import AsyncSession

from wallet_infra.config.settings import Settings
from wallet_infra.persistence.engine import make_engine
from wallet_infra.read_replicas.primary_wal import PrimaryWal
from wallet_infra.read_replicas.replica_set import Replica, ReplicaSet, replica_label
from wallet_infra.read_replicas.router import ReadConsistency, ReadRouter
from wallet_infra.telemetry import instrument_engine

# A replica that does not give a connection within this (a new one: the driver's connect
# timeout; a pooled one: the pool's wait) is skipped and the primary answers, rather than
# holding the request up to the driver's default minute or the primary pool's wait.
REPLICA_CONNECT_TIMEOUT_S: Final = 2.0


class ReadReplicaProvider(Provider):
    @provide(scope=Scope.APP)
    async def replica_set(self, settings: Settings) -> AsyncIterator[ReplicaSet]:
        """A pool per replica, sized like the primary's, and one connection for its check;
        none without replica URLs."""
        replicas = []
        for url in settings.database_replica_urls:
            engine = make_engine(
                url,
                pool_size=settings.db_pool_size,
                max_overflow=settings.db_max_overflow,
                statement_timeout_ms=settings.db_statement_timeout_ms,
                connect_timeout_s=REPLICA_CONNECT_TIMEOUT_S,
                pool_timeout_s=REPLICA_CONNECT_TIMEOUT_S,
                application_name="wallet-replica-reads",
            )
            instrument_engine(engine)
            probe_engine = make_engine(
                url,
                pool_size=1,
                max_overflow=0,
                connect_timeout_s=REPLICA_CONNECT_TIMEOUT_S,
                application_name="wallet-replica-check",
            )
            label = replica_label(url)
            replicas.append(Replica(label=label, engine=engine, probe_engine=probe_engine))
        replica_set = ReplicaSet(replicas, max_lag_s=settings.replica_max_lag_ms / 1000)
        yield replica_set
        await replica_set.dispose()

    @provide(scope=Scope.APP)
    async def primary_wal(self, settings: Settings) -> AsyncIterator[PrimaryWal]:
        """The primary's WAL position the replicas' check measures lag against, on one
        connection of its own (made only when replicas are set: the check asks for it)."""
        engine = make_engine(
            settings.database_url,
            pool_size=1,
            max_overflow=0,
            connect_timeout_s=REPLICA_CONNECT_TIMEOUT_S,
            application_name="wallet-replica-check",
        )
        primary = PrimaryWal(engine)
        yield primary
        await primary.dispose()

    @provide(scope=Scope.REQUEST)
    async def read_router(
        self, replicas: ReplicaSet, session: AsyncSession, consistency: ReadConsistency
    ) -> AsyncIterator[ReadRouter]:
        router = ReadRouter(replicas=replicas, primary=session, consistency=consistency)
        try:
            yield router
        finally:
            await router.close()
