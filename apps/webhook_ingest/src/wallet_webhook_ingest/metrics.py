"""The ingest's Prometheus metrics, on a registry of its own (served on
`webhook_ingest_metrics_host:webhook_ingest_metrics_port`; tests read it directly).

- `wallet_webhook_ingest_requests_total{outcome}`: every webhook answered: `accepted`
  (202), or why not: `bad_signature` (401), `malformed` (400), `too_large` (413),
  `broker_unavailable`, `unroutable`, `nacked`, `timeout` (503; the provider retries).
- `wallet_webhook_ingest_publish_seconds`: from the publish to the broker's confirm, for
  every publish attempted (whatever its outcome).
- `http_server_refusals_total{reason}`: requests or connections the HTTP server cut
  before the app ran (`headers_too_large`, `header_timeout`, `body_timeout`, ...), the
  API's counter (`wallet_infra.http_server`), added to this registry.
"""

from __future__ import annotations

from typing import Final

from prometheus_client import CollectorRegistry, Counter, Histogram
from wallet_infra.http_server.metrics import REFUSED

ACCEPTED: Final = "accepted"
OUTCOMES: Final = (
    ACCEPTED,
    "bad_signature",
    "malformed",
    "too_large",
    "broker_unavailable",
    "unroutable",
    "nacked",
    "timeout",
)
_PUBLISH_BUCKETS: Final = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0)


class IngestMetrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        requests = Counter(
            "wallet_webhook_ingest_requests",
            "Provider webhooks answered by the ingest, by outcome (accepted or the refusal).",
            ["outcome"],
            registry=self.registry,
        )
        # Every label exists from the start, so a rate() over a refusal is 0, not absent.
        self._outcomes = {outcome: requests.labels(outcome) for outcome in OUTCOMES}
        self.publish_seconds = Histogram(
            "wallet_webhook_ingest_publish_seconds",
            "Seconds from publishing a webhook to the broker's confirm (or the failure).",
            registry=self.registry,
            buckets=_PUBLISH_BUCKETS,
        )
        # The server's counter lives on the default registry (one per process); a fresh
        # registry per app (tests build many) may list it too.
        self.registry.register(REFUSED)

    def answered(self, outcome: str) -> None:
        self._outcomes[outcome].inc()
