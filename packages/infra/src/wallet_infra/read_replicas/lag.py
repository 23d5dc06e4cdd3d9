"""How far a streaming replica is behind its primary, measured on the replica.

The lag is the age of the last transaction the replica replayed, counted only while it has
received WAL it has not replayed yet. A replica with nothing left to replay is current
however old its last replayed transaction is, so an idle primary does not make its
replicas look behind. Just after a long idle spell, the moment between receiving a record
and replaying it can read as a large lag; that sample skips the replica for one check
interval at most.
"""

from __future__ import annotations

import asyncio
import math
from typing import Final

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

_LAG: Final = text(
    "SELECT pg_is_in_recovery() AS standby,"
    " CASE WHEN pg_last_wal_receive_lsn() <= pg_last_wal_replay_lsn() THEN 0.0"
    "  ELSE CAST(EXTRACT(EPOCH FROM clock_timestamp() - pg_last_xact_replay_timestamp())"
    "   AS double precision) END AS lag_s"
)


class NotAStandby(Exception):
    """The server answers but is not in recovery (e.g. promoted): not a replica anymore."""


async def replica_lag_s(engine: AsyncEngine, *, timeout_s: float) -> float:
    """Seconds the replica behind `engine` is behind (0 when it has replayed all it
    received; infinity when it has WAL to replay but never replayed a transaction).
    Raises when it cannot answer within `timeout_s`, and NotAStandby."""
    async with asyncio.timeout(timeout_s), engine.connect() as connection:
        row = (await connection.execute(_LAG)).one()
    if not row.standby:
        raise NotAStandby()
    return math.inf if row.lag_s is None else max(0.0, float(row.lag_s))
