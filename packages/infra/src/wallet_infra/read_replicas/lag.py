"""How far a streaming replica is behind its primary, measured on the replica.

The lag is the age of the last transaction the replica replayed, counted only while it has
received WAL it has not replayed yet. A replica with nothing left to replay is current
however old its last replayed transaction is, so an idle primary does not make its
replicas look behind. Just after a long idle spell, the moment between receiving a record
and replaying it can read as a large lag; that sample skips the replica for one check
interval at most.

That rule needs the replica to be receiving: a standby cut off from its primary (a
partition, a failover that did not repoint it) has nothing left to replay while the
primary goes on writing, so without a WAL receiver streaming it counts as behind
without bound (skipped). A hung connection is noticed when the receiver gives up on it
(`wal_receiver_timeout`, 60 s by default). The receiver's status is read when the role
may see it (pg_read_all_stats); otherwise a running receiver counts as streaming.
"""

from __future__ import annotations

import asyncio
import math
from typing import Final

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

_LAG: Final = text(
    "SELECT pg_is_in_recovery() AS standby,"
    " EXISTS (SELECT FROM pg_stat_wal_receiver"
    "  WHERE status IS NULL OR status = 'streaming') AS receiving,"
    " CASE WHEN pg_last_wal_receive_lsn() <= pg_last_wal_replay_lsn() THEN 0.0"
    "  ELSE CAST(EXTRACT(EPOCH FROM clock_timestamp() - pg_last_xact_replay_timestamp())"
    "   AS double precision) END AS lag_s"
)


class NotAStandby(Exception):
    """The server answers but is not in recovery (e.g. promoted): not a replica anymore."""


async def replica_lag_s(engine: AsyncEngine, *, timeout_s: float) -> float:
    """Seconds the replica behind `engine` is behind (0 when it has replayed all it
    received; infinity when it receives nothing from its primary, or has WAL to replay
    but never replayed a transaction). Raises when it cannot answer within `timeout_s`,
    and NotAStandby."""
    async with asyncio.timeout(timeout_s), engine.connect() as connection:
        row = (await connection.execute(_LAG)).one()
    if not row.standby:
        raise NotAStandby()
    if not row.receiving or row.lag_s is None:
        return math.inf
    return max(0.0, float(row.lag_s))
