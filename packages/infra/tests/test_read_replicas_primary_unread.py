"""While the check cannot read the primary (its read gets half a round's timeout, 0.5 s
by default; or its one connection is refused: max_connections, a pooler, a revoked grant)
the primary may go on taking writes: a replica that had replayed the last position read
must not stay at lag 0 however far behind it falls, but count as behind by at least the
time since the primary was last read, and be skipped past the maximum lag."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from sqlalchemy import text
from wallet_infra.persistence.engine import make_engine
from wallet_infra.read_replicas import PrimaryWal, ReplicaSet, check_replicas
from wallet_testkit.polling import eventually
from wallet_testkit.replica import Replica as StreamingReplica

from .test_read_replicas import one_replica

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest_asyncio.fixture(loop_scope="session")
async def replicas(replica_url: str) -> AsyncIterator[ReplicaSet]:
    async with one_replica(replica_url, max_lag_s=0.5) as replica_set:
        yield replica_set


async def test_a_paused_replica_is_skipped_while_the_check_cannot_read_the_primary(
    replicas: ReplicaSet, database_url: str, replica_url: str
) -> None:
    (replica,) = replicas.replicas
    standby = StreamingReplica(url=replica_url, primary_url=database_url)
    primary = PrimaryWal(make_engine(database_url, pool_size=1, max_overflow=0))
    writer = make_engine(database_url)
    lost = make_engine("postgresql://wallet:x@127.0.0.1:1/wallet", pool_size=1, max_overflow=0)
    try:

        async def current() -> bool:
            await check_replicas(replicas, primary, timeout_s=2)
            return replica.lag_s == 0.0

        await eventually(current, timeout_s=30)
        async with standby.paused():
            await primary.dispose()
            primary.engine = lost  # the check's read of the primary now fails
            for _ in range(3):  # the primary takes writes meanwhile
                async with writer.begin() as connection:
                    await connection.execute(text("SELECT txid_current()"))
                await asyncio.sleep(0.5)
                await check_replicas(replicas, primary, timeout_s=1)
            in_use = replicas.in_use(replica)
            lag = replica.lag_s
        assert not in_use, f"a replica paused 1.5 s is in use, lag_s={lag}"
    finally:
        await primary.dispose()
        await writer.dispose()
        await lost.dispose()
