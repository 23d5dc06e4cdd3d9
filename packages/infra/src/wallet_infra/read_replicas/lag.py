"""How far a streaming replica is behind its primary: where its replay stands, against
the primary's positions the monitor sampled just before (`primary_wal`).

Measuring against the primary's own position catches every way a replica can fall
behind: replay slow or paused, and also a WAL receiver that hangs while still showing
`streaming`, or a network that stalls, where the replica has nothing left to replay and
would read as current, measured on the replica alone, until `wal_receiver_timeout`.

A standby with no WAL receiver streaming (cut off by a partition, or not repointed after
a failover) counts as behind without bound (skipped) even when the primary is idle:
nothing will reach it. The receiver's status is read when the role may see it
(pg_read_all_stats); otherwise a running receiver counts as streaming.
"""

from __future__ import annotations

import asyncio
import math
import time
from typing import Final

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from wallet_infra.read_replicas.primary_wal import WalHistory

_REPLAY: Final = text(
    "SELECT pg_is_in_recovery() AS standby,"
    " EXISTS (SELECT FROM pg_stat_wal_receiver"
    "  WHERE status IS NULL OR status = 'streaming') AS receiving,"
    " CAST(pg_last_wal_replay_lsn() - '0/0'::pg_lsn AS bigint) AS replayed"
)


class NotAStandby(Exception):
    """The server answers but is not in recovery (e.g. promoted): not a replica anymore."""


async def replica_lag_s(engine: AsyncEngine, primary: WalHistory, *, timeout_s: float) -> float:
    """Seconds the replica behind `engine` is behind the primary whose positions
    `primary` holds (sampled before this is called); infinity when it receives nothing
    from its primary or is behind every position known. Raises when it cannot answer
    within `timeout_s`, and NotAStandby."""
    async with asyncio.timeout(timeout_s), engine.connect() as connection:
        row = (await connection.execute(_REPLAY)).one()
    now = time.monotonic()
    if not row.standby:
        raise NotAStandby()
    if not row.receiving or row.replayed is None:
        return math.inf
    return primary.lag_s(int(row.replayed), now=now)
