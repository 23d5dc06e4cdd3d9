"""The read replicas' background check, started by the lifespan when replicas are set."""

from __future__ import annotations

from dishka import AsyncContainer
from wallet_infra.read_replicas.monitor import replica_monitor
from wallet_infra.read_replicas.primary_wal import PrimaryWal
from wallet_infra.read_replicas.replica_set import ReplicaSet
from wallet_infra.runtime.periodic import Periodic


async def replica_monitor_job(container: AsyncContainer, *, interval_s: float) -> Periodic:
    """Measures the replica pools the requests use (the container's one ReplicaSet)
    against the primary's WAL position."""
    replicas, primary = await container.get(ReplicaSet), await container.get(PrimaryWal)
    return replica_monitor(replicas, primary, interval_s=interval_s)
