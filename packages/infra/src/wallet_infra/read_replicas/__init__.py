"""Reads that tolerate lag, served by streaming replicas of the primary when one is fit.

The rule: a read goes to a replica only if it is lag-tolerant (a wallet's history, its
holds, a payment or hold already in a final state, a transfer), the client did not ask for
strong consistency, and a replica is up and lagging at most the configured maximum. Every
write, every balance, every idempotency lookup and anything a money-moving request reads
stays on the primary: those use cases are never given a replica.

- `ReplicaSet` (one per process) holds each replica's engine and last known state;
  `replica_monitor` refreshes the state in the background (never per request),
  measuring each replica's lag against the primary's WAL position (`PrimaryWal`), and
  exports it as metrics.
- `ReadRouter` (one per request) picks a fit replica round-robin when the request starts
  and runs each read there first; a read that finds nothing, finds a resource not yet
  final, or fails on the replica runs again on the primary, so a replica behind the
  primary can delay what a client sees, never hide what exists.
- The `ReplicaFirst*` adapters implement the domain's ports on a router; the domain
  never knows replicas exist.
"""

from wallet_infra.read_replicas.adapters import (
    ReplicaFirstDisputeBook,
    ReplicaFirstHoldBook,
    ReplicaFirstLedger,
    ReplicaFirstTransferBook,
    ReplicaFirstWallets,
)
from wallet_infra.read_replicas.monitor import check_replicas, replica_monitor
from wallet_infra.read_replicas.primary_wal import PrimaryWal
from wallet_infra.read_replicas.replica_set import Replica, ReplicaSet
from wallet_infra.read_replicas.router import ReadConsistency, ReadRouter

__all__ = [
    "PrimaryWal",
    "ReadConsistency",
    "ReadRouter",
    "Replica",
    "ReplicaFirstDisputeBook",
    "ReplicaFirstHoldBook",
    "ReplicaFirstLedger",
    "ReplicaFirstTransferBook",
    "ReplicaFirstWallets",
    "ReplicaSet",
    "check_replicas",
    "replica_monitor",
]
