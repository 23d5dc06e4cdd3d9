"""The background check of every replica: reachable, a standby, and how far behind.

One `Periodic` per process measures each replica every interval (side by side, each
within a timeout) and records the result on its `Replica`, where requests read it for
free. Failures are logged on the transition only (up -> down, or down at the first
check: a replica never reached is news too), by the error's type.
"""

from __future__ import annotations

import asyncio
import math

import structlog

from wallet_infra.read_replicas.lag import replica_lag_s
from wallet_infra.read_replicas.metrics import REPLICA_IN_USE, REPLICA_LAG, REPLICA_UP
from wallet_infra.read_replicas.replica_set import Replica, ReplicaSet
from wallet_infra.runtime.periodic import Periodic

_log = structlog.get_logger("wallet.replicas")


async def _check(replicas: ReplicaSet, replica: Replica, *, timeout_s: float) -> None:
    was_up, first = replica.up, not replica.checked
    replica.checked = True
    try:
        lag_s = await replica_lag_s(replica.probe_engine, timeout_s=timeout_s)
    except Exception as error:
        ReplicaSet.mark_down(replica)
        if was_up or first:
            _log.warning("replica_down", replica=replica.label, error=type(error).__name__)
    else:
        replica.up, replica.lag_s = True, lag_s
        if not was_up:
            _log.info("replica_up", replica=replica.label)
    REPLICA_UP.labels(replica=replica.label).set(1 if replica.up else 0)
    REPLICA_LAG.labels(replica=replica.label).set(replica.lag_s if replica.up else math.nan)
    REPLICA_IN_USE.labels(replica=replica.label).set(1 if replicas.in_use(replica) else 0)


async def check_replicas(replicas: ReplicaSet, *, timeout_s: float) -> None:
    """Measure every replica once and record what was found."""
    await asyncio.gather(*(_check(replicas, r, timeout_s=timeout_s) for r in replicas.replicas))


def replica_monitor(replicas: ReplicaSet, *, interval_s: float) -> Periodic:
    """Check every replica now, then every `interval_s`. A check that takes longer than
    twice the interval (and at least a second: a first connection) counts as down."""

    async def round_() -> None:
        await check_replicas(replicas, timeout_s=max(2 * interval_s, 1.0))

    return Periodic(
        round_,
        interval_s=interval_s,
        task_name="replica-monitor",
        failure_event="replica_check_failed",
    )
