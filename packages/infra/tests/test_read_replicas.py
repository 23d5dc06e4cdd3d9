"""Read replicas below the API: settings, the choice among replicas, and a router that
really reads on the standby (`pg_is_in_recovery()` answers where a read ran)."""

from __future__ import annotations

import math
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
import pytest_asyncio
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from structlog.testing import capture_logs
from wallet_infra.config.settings import Settings
from wallet_infra.persistence.engine import make_engine
from wallet_infra.read_replicas import (
    PrimaryWal,
    ReadConsistency,
    ReadRouter,
    Replica,
    ReplicaSet,
    check_replicas,
)
from wallet_infra.read_replicas.replica_set import replica_label
from wallet_testkit.polling import eventually

EVENTUAL, STRONG = ReadConsistency.EVENTUAL, ReadConsistency.STRONG
URL = "postgresql://reader:secret@db-replica.internal:6432/wallet"


def _replica(url: str = URL, *, up: bool = True, lag_s: float = 0.0) -> Replica:
    replica = Replica(
        label=replica_label(url), engine=make_engine(url), probe_engine=make_engine(url)
    )
    replica.up, replica.lag_s = up, lag_s
    return replica


def test_replica_urls_are_comma_separated_and_none_by_default() -> None:
    assert Settings.model_validate({}).database_replica_urls == ()
    given = Settings.model_validate({"database_replica_urls": f" {URL} ,, {URL}2 "})
    assert given.database_replica_urls == (URL, f"{URL}2")
    assert given.replica_max_lag_ms == 500
    assert "secret" not in repr(given)


def test_a_replica_is_named_by_host_and_port_never_with_credentials() -> None:
    assert replica_label(URL) == "db-replica.internal:6432"
    assert replica_label("postgres://u:p@db/wallet") == "db:5432"


def test_fit_replicas_take_turns_and_unfit_ones_are_skipped() -> None:
    first, second = _replica(), _replica()
    lagging, down = _replica(lag_s=0.6), _replica(up=False)
    replicas = ReplicaSet([first, lagging, second, down], max_lag_s=0.5)
    assert [replicas.pick() for _ in range(4)] == [first, second, first, second]
    ReplicaSet.mark_down(first)
    assert {replicas.pick() for _ in range(3)} == {second}
    ReplicaSet.mark_down(second)
    assert replicas.pick() is None
    assert ReplicaSet([], max_lag_s=0.5).pick() is None


def test_a_replica_is_not_used_before_its_first_check() -> None:
    replica = Replica(label="x:1", engine=make_engine(URL), probe_engine=make_engine(URL))
    assert not replica.up
    assert math.isnan(replica.lag_s)
    assert ReplicaSet([replica], max_lag_s=60).pick() is None


@asynccontextmanager
async def one_replica(replica_url: str, *, max_lag_s: float) -> AsyncIterator[ReplicaSet]:
    """A set of the one streaming replica at `replica_url`, disposed after."""
    replica = Replica(
        label=replica_label(replica_url),
        engine=make_engine(replica_url, pool_size=2),
        probe_engine=make_engine(replica_url, pool_size=1, max_overflow=0),
    )
    replica_set = ReplicaSet([replica], max_lag_s=max_lag_s)
    try:
        yield replica_set
    finally:
        await replica_set.dispose()


@pytest_asyncio.fixture(loop_scope="session")
async def replicas(replica_url: str) -> AsyncIterator[ReplicaSet]:
    async with one_replica(replica_url, max_lag_s=3600) as replica_set:
        yield replica_set


@pytest_asyncio.fixture(loop_scope="session")
async def primary_wal(database_url: str) -> AsyncIterator[PrimaryWal]:
    wal = PrimaryWal(make_engine(database_url, pool_size=1, max_overflow=0))
    yield wal
    await wal.dispose()


async def _in_recovery(session: AsyncSession) -> bool:
    return bool(await session.scalar(text("SELECT pg_is_in_recovery()")))


@pytest.mark.asyncio(loop_scope="session")
async def test_a_router_reads_on_the_standby_once_checked_and_strong_reads_on_the_primary(
    replicas: ReplicaSet,
    primary_wal: PrimaryWal,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    async with session_factory() as primary:
        unchecked = ReadRouter(replicas=replicas, primary=primary, consistency=EVENTUAL)
        assert unchecked.replica is None
        assert not await unchecked.read(_in_recovery)

        (replica,) = replicas.replicas

        async def measured() -> bool:
            # The first check may find the replica behind the one position then known
            # (behind without a known bound); a later one has an earlier position.
            await check_replicas(replicas, primary_wal, timeout_s=5)
            assert replica.up
            return replica.lag_s < 3600

        await eventually(measured, timeout_s=30)

        eventual = ReadRouter(replicas=replicas, primary=primary, consistency=EVENTUAL)
        strong = ReadRouter(replicas=replicas, primary=primary, consistency=STRONG)
        try:
            assert await eventual.read(_in_recovery)
            assert not await strong.read(_in_recovery)
            # An answer the caller refuses is asked again of the primary.
            assert not await eventual.read(_in_recovery, settled=lambda on_standby: not on_standby)
        finally:
            await eventual.close()
            await strong.close()


async def test_a_replica_down_from_the_start_is_logged_once(primary_wal: PrimaryWal) -> None:
    """Down at its first check is news (only up -> down was logged, so a replica never
    reached showed nowhere but the metrics); each later failed check is not."""
    unreachable = "postgresql://reader:secret@127.0.0.1:1/wallet"  # nothing listens there
    replica = Replica(
        label=replica_label(unreachable),
        engine=make_engine(unreachable),
        probe_engine=make_engine(unreachable, pool_size=1, max_overflow=0),
    )
    replicas = ReplicaSet([replica], max_lag_s=60)
    try:
        with capture_logs() as logs:
            await check_replicas(replicas, primary_wal, timeout_s=2.0)
            await check_replicas(replicas, primary_wal, timeout_s=2.0)
    finally:
        await replicas.dispose()

    down = [entry for entry in logs if entry["event"] == "replica_down"]
    assert [entry["replica"] for entry in down] == ["127.0.0.1:1"]
    assert "secret" not in str(logs)


async def test_a_primary_out_of_reach_leaves_replicas_measured_against_what_it_last_showed(
    replicas: ReplicaSet, database_url: str
) -> None:
    """Never read: every replica is behind without a known bound (skipped, still up).
    Read once, then lost: replicas are measured against its last position, logged once."""
    unreachable = "postgresql://wallet:secret@127.0.0.1:1/wallet"  # nothing listens there
    (replica,) = replicas.replicas
    never = PrimaryWal(make_engine(unreachable, pool_size=1, max_overflow=0))
    reached = PrimaryWal(make_engine(database_url, pool_size=1, max_overflow=0))
    try:
        with capture_logs() as logs:
            await check_replicas(replicas, never, timeout_s=2.0)
            assert replica.up
            assert math.isinf(replica.lag_s)

            async def measured() -> bool:
                await check_replicas(replicas, reached, timeout_s=5)
                return replica.lag_s < 3600

            await eventually(measured, timeout_s=30)
            await reached.dispose()
            reached.engine = never.engine
            await check_replicas(replicas, reached, timeout_s=2.0)
            await check_replicas(replicas, reached, timeout_s=2.0)
            assert replica.up
            assert replica.lag_s < 3600
    finally:
        await never.dispose()
        await reached.dispose()

    lost = [entry["event"] for entry in logs if "primary" in entry["event"]]
    assert lost == ["replica_check_primary_unreachable"] * 2  # each PrimaryWal once
    assert "secret" not in str(logs)
