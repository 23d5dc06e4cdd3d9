"""A standby that lost its connection to the primary falls behind without bound: with no
WAL receiver streaming it counts as behind (skipped), though it has replayed all it
received. Runs on a private pair (`standby_pair_kit`), so the shared replica is never
touched."""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from typing import Final

import pytest
from wallet_infra.persistence.engine import make_engine
from wallet_infra.read_replicas.lag import replica_lag_s
from wallet_infra.read_replicas.primary_wal import WalHistory
from wallet_testkit.db import fetch

from .standby_pair_kit import Pair, standby_pair, until

MAX_LAG_S: Final = 0.5  # WALLET_REPLICA_MAX_LAG_MS's default


@pytest.fixture
def pair() -> Iterator[Pair]:
    with standby_pair() as started:
        yield started


@pytest.mark.asyncio(loop_scope="session")
async def test_a_standby_cut_off_from_its_primary_is_not_measured_as_current(
    pair: Pair,
) -> None:
    primary_url, standby_url = pair.primary_url, pair.standby_url
    await fetch(primary_url, "CREATE TABLE t (n int)")
    await fetch(primary_url, "INSERT INTO t VALUES (1)")
    await until(standby_url, "SELECT EXISTS (SELECT FROM pg_class WHERE relname = 't')")
    await until(standby_url, "SELECT count(*) = 1 FROM t")
    # The standby loses its primary (a partition, a wrong primary_conninfo after a
    # failover, a walsender killed by wal_sender_timeout and not coming back...).
    await fetch(standby_url, "ALTER SYSTEM SET primary_conninfo = 'host=localhost port=1'")
    await fetch(standby_url, "SELECT pg_reload_conf()")
    await until(standby_url, "SELECT NOT EXISTS (SELECT FROM pg_stat_wal_receiver)")
    # As if the primary had written nothing since (idle): the standby has replayed its
    # last known position, so only the missing receiver tells it is cut off.
    [(replayed,)] = await fetch(standby_url, "SELECT pg_last_wal_replay_lsn() - '0/0'::pg_lsn")
    history = WalHistory()
    history.record(time.monotonic(), int(replayed))

    engine = make_engine(standby_url, pool_size=1, max_overflow=0)
    try:
        lag_s = await replica_lag_s(engine, history, timeout_s=5)
    finally:
        await engine.dispose()

    assert math.isinf(lag_s), f"measured {lag_s} s on a standby that receives nothing"
