"""The background check of every replica: reachable, a standby, and how far behind.

One `Periodic` per process checks every interval: first the primary's WAL position
(`PrimaryWal.sample`, added to its history), then each replica side by side, its lag
measured against that history (`lag.replica_lag_s`), and records the result on its
`Replica`, where requests read it for free. The primary is read first so a replica can
never look ahead of it. The round stays within its timeout: the primary's read gets half
of it, the replicas what is left.

A primary that cannot be read leaves its history's positions as they were (`lost`):
replicas are still checked (up, still a standby) and measured against the last positions
known, and each counts as at least as far behind as the time since the primary was last
read (`WalHistory.lag_s`): what the primary wrote since is unknown (the check's read can
fail, e.g. time out under load, while the primary goes on taking writes), so once that
passes the maximum lag every replica is skipped until the primary answers again. A
process that has never read its primary counts every replica behind without bound.

Failures are logged on the transition only (up -> down, or down at the first check: a
replica never reached is news too), by the error's type; the primary's likewise.
"""

from __future__ import annotations

import asyncio
import math

import structlog

from wallet_infra.read_replicas.lag import replica_lag_s
from wallet_infra.read_replicas.metrics import REPLICA_IN_USE, REPLICA_LAG, REPLICA_UP
from wallet_infra.read_replicas.primary_wal import PrimaryWal
from wallet_infra.read_replicas.replica_set import Replica, ReplicaSet
from wallet_infra.runtime.periodic import Periodic

_log = structlog.get_logger("wallet.replicas")


async def _sample(primary: PrimaryWal, *, timeout_s: float) -> None:
    reached_before = primary.reached
    try:
        await primary.sample(timeout_s=timeout_s)
    except Exception as error:
        if reached_before is not False:
            _log.warning("replica_check_primary_unreachable", error=type(error).__name__)
    else:
        if reached_before is False:
            _log.info("replica_check_primary_reachable")


async def _check(
    replicas: ReplicaSet, replica: Replica, primary: PrimaryWal, *, timeout_s: float
) -> None:
    was_up, first = replica.up, not replica.checked
    replica.checked = True
    try:
        lag_s = await replica_lag_s(replica.probe_engine, primary.history, timeout_s=timeout_s)
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


async def check_replicas(replicas: ReplicaSet, primary: PrimaryWal, *, timeout_s: float) -> None:
    """Sample the primary, then measure every replica once and record what was found,
    all within `timeout_s`."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    await _sample(primary, timeout_s=timeout_s / 2)
    left_s = max(deadline - loop.time(), 0.0)
    await asyncio.gather(
        *(_check(replicas, r, primary, timeout_s=left_s) for r in replicas.replicas)
    )


def replica_monitor(replicas: ReplicaSet, primary: PrimaryWal, *, interval_s: float) -> Periodic:
    """Check every replica now, then every `interval_s`. A check that takes longer than
    twice the interval (and at least a second: a first connection) counts as down; the
    primary's read gets half of that."""

    async def round_() -> None:
        await check_replicas(replicas, primary, timeout_s=max(2 * interval_s, 1.0))

    return Periodic(
        round_,
        interval_s=interval_s,
        task_name="replica-monitor",
        failure_event="replica_check_failed",
    )
