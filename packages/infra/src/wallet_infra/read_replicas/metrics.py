"""Replica metrics on the process's default registry (the API's `/metrics`).

- `wallet_db_replica_lag_seconds{replica}`: the lag the last check measured (NaN while the
  replica is down or not a standby).
- `wallet_db_replica_up{replica}`: 1 if the last check reached a standby, else 0.
- `wallet_db_replica_in_use{replica}`: 1 if reads may go there now (up and within the max
  lag), else 0.
- `wallet_db_reads_total{target}`: lag-tolerant reads (one per statement) by where they
  ran, `primary` or `replica`; a replica read that found nothing or a resource not yet
  final counts once for each.

`replica` is the replica's `host:port`, never its URL (which holds credentials).
"""

from __future__ import annotations

from typing import Final

from prometheus_client import Counter, Gauge

REPLICA_LAG: Final = Gauge(
    "wallet_db_replica_lag_seconds",
    "How far each read replica is behind the primary, as last measured (NaN while down).",
    ["replica"],
    multiprocess_mode="max",
)
REPLICA_UP: Final = Gauge(
    "wallet_db_replica_up",
    "1 if the last check reached the replica and it is a standby, else 0.",
    ["replica"],
    multiprocess_mode="min",
)
REPLICA_IN_USE: Final = Gauge(
    "wallet_db_replica_in_use",
    "1 if lag-tolerant reads may go to the replica now (up, lag within the max), else 0.",
    ["replica"],
    multiprocess_mode="min",
)
READS: Final = Counter(
    "wallet_db_reads",
    "Lag-tolerant reads (one per statement) by where they ran: primary or replica.",
    ["target"],
)
PRIMARY: Final = "primary"
REPLICA: Final = "replica"
# The labelled children, once: `labels()` takes a lock and builds its key on every call.
READS_ON_PRIMARY: Final = READS.labels(target=PRIMARY)
READS_ON_REPLICA: Final = READS.labels(target=REPLICA)
