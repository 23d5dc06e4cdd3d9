"""The relay's Prometheus metrics, on a registry of its own (served on
`relay_metrics_host:relay_metrics_port`; tests read it directly).

- `wallet_relay_published_total`: events confirmed by the broker (marked sent next).
- `wallet_relay_publish_failed_total`: events a batch could not get confirmed (each
  retried on its own schedule, see `PublishRetry`).
- `wallet_relay_publish_batch_seconds`: time to publish one batch and get its confirms.
- `wallet_outbox_backlog`: unsent outbox rows; `wallet_outbox_oldest_unsent_age_seconds`:
  age of the oldest one (0 when empty), refreshed every `backlog_interval_s`. With N
  relays on one database every relay reports the same backlog: use max(), not sum().
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from wallet_infra.persistence.outbox_backlog import OutboxBacklog

_BATCH_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0)


class RelayMetrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        self.published = Counter(
            "wallet_relay_published", "Events confirmed by the broker.", registry=self.registry
        )
        self.failed = Counter(
            "wallet_relay_publish_failed",
            "Events not confirmed by the broker (left in the outbox, retried).",
            registry=self.registry,
        )
        self.batch_seconds = Histogram(
            "wallet_relay_publish_batch_seconds",
            "Seconds to publish one batch and receive its confirms.",
            registry=self.registry,
            buckets=_BATCH_BUCKETS,
        )
        self.backlog = Gauge("wallet_outbox_backlog", "Unsent outbox rows.", registry=self.registry)
        self.oldest_age = Gauge(
            "wallet_outbox_oldest_unsent_age_seconds",
            "Age of the oldest unsent outbox row (0 when none).",
            registry=self.registry,
        )

    def batch_published(self, *, confirmed: int, failed: int, seconds: float) -> None:
        """`PublishObserver`: called by the publisher after each batch's confirms."""
        self.published.inc(confirmed)
        self.failed.inc(failed)
        self.batch_seconds.observe(seconds)

    def observe_backlog(self, backlog: OutboxBacklog) -> None:
        self.backlog.set(backlog.unsent)
        self.oldest_age.set(backlog.oldest_age_s)
