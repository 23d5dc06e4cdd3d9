"""A standby that stops taking the primary's writes is skipped within the max lag plus
two check intervals of the first write it misses, however it stopped: its replay paused,
or its WAL stream hung while the receiver still shows `streaming` (the walsender frozen
with SIGSTOP), where it has nothing left to replay and reads as current when measured on
the standby alone (until `wal_receiver_timeout`, 60 s).

Runs the real monitor on a private pair (`standby_pair_kit`), so the shared replica is
never paused."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager
from typing import Final

import pytest
from wallet_infra.persistence.engine import make_engine
from wallet_infra.read_replicas import PrimaryWal, Replica, ReplicaSet, replica_monitor
from wallet_infra.read_replicas.replica_set import replica_label
from wallet_testkit.db import fetch
from wallet_testkit.polling import eventually

from .standby_pair_kit import Pair, standby_pair, until

pytestmark = pytest.mark.asyncio(loop_scope="session")

MAX_LAG_S: Final = 0.5  # WALLET_REPLICA_MAX_LAG_MS's default
INTERVAL_S: Final = 0.1
SLACK_S: Final = 1.0  # a loaded box runs checks late; measured on the standby alone: 60 s
WRITE_EVERY_S: Final = 0.02


@pytest.fixture
def pair() -> Iterator[Pair]:
    with standby_pair() as started:
        yield started


@contextlib.asynccontextmanager
async def hung_stream(pair: Pair) -> AsyncIterator[None]:
    """The primary's walsender frozen: the standby's receiver keeps showing `streaming`
    and receives nothing."""
    [(pid,)] = await fetch(pair.primary_url, "SELECT pid FROM pg_stat_replication")
    os.kill(pid, signal.SIGSTOP)
    try:
        yield
        rows = await fetch(pair.standby_url, "SELECT status FROM pg_stat_wal_receiver")
        assert [row[0] for row in rows] == ["streaming"]  # the hang is not noticed there
    finally:
        os.kill(pid, signal.SIGCONT)


@contextlib.asynccontextmanager
async def paused_replay(pair: Pair) -> AsyncIterator[None]:
    await fetch(pair.standby_url, "SELECT pg_wal_replay_pause()")
    try:
        yield
    finally:
        await fetch(pair.standby_url, "SELECT pg_wal_replay_resume()")


async def _write_forever(primary_url: str) -> None:
    while True:
        await fetch(primary_url, "INSERT INTO t VALUES (1)")
        await asyncio.sleep(WRITE_EVERY_S)


@pytest.mark.parametrize("stall", [hung_stream, paused_replay], ids=["hung", "paused"])
async def test_a_standby_that_stops_taking_writes_is_skipped_within_max_lag_and_two_checks(
    pair: Pair, stall: Callable[[Pair], AbstractAsyncContextManager[None]]
) -> None:
    await fetch(pair.primary_url, "CREATE TABLE t (n int)")
    await until(pair.standby_url, "SELECT EXISTS (SELECT FROM pg_class WHERE relname = 't')")
    replica = Replica(
        label=replica_label(pair.standby_url),
        engine=make_engine(pair.standby_url, pool_size=1, max_overflow=0),
        probe_engine=make_engine(pair.standby_url, pool_size=1, max_overflow=0),
    )
    replicas = ReplicaSet([replica], max_lag_s=MAX_LAG_S)
    primary = PrimaryWal(make_engine(pair.primary_url, pool_size=1, max_overflow=0))
    monitor = replica_monitor(replicas, primary, interval_s=INTERVAL_S)

    async def in_use() -> bool:
        return replicas.in_use(replica)

    async def skipped() -> bool:
        return not replicas.in_use(replica)

    await monitor.start()
    try:
        await eventually(in_use, timeout_s=15)
        async with stall(pair):
            writer = asyncio.create_task(_write_forever(pair.primary_url))
            try:
                await fetch(pair.primary_url, "INSERT INTO t VALUES (0)")
                first_missed = time.monotonic()  # committed: the standby lacks it from here
                await eventually(skipped, timeout_s=10, interval_s=0.01)
                took_s = time.monotonic() - first_missed
            finally:
                writer.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await writer
            assert replica.up  # still answering: skipped for its lag, not as down
        assert took_s <= MAX_LAG_S + 2 * INTERVAL_S + SLACK_S, took_s
        await eventually(in_use, timeout_s=15)  # caught up: in use again
    finally:
        await monitor.stop()
        await replicas.dispose()
        await primary.dispose()
