"""Prometheus HTTP metrics: request count and latency per route template and status (the
HTTP server's refusals, cut before the app saw them, are `wallet_infra.http_server`'s).

Labels use the route *template* (`/wallets/{user_id}/balance`), never the raw path, so
user ids stay out of metrics and label cardinality stays bounded.
"""

from __future__ import annotations

from typing import Final

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from wallet_infra.metrics.worker_samples import samples_shared, shared_samples_registry

UNMATCHED: Final = "unmatched"
_METHODS: Final = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})

REQUESTS: Final = Counter(
    "http_requests_total", "HTTP requests answered.", ["method", "route", "status"]
)
LATENCY: Final = Histogram(
    "http_request_duration_seconds",
    "Time from request start to the end of the response.",
    ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)

# The labelled children per (method, route, status): `labels()` takes a lock and builds the
# key each time. Bounded: methods and route templates are fixed sets, statuses few.
_CHILDREN: Final[dict[tuple[str, str, int], tuple[Counter, Histogram]]] = {}


def observe(method: str, route: str, status: int, seconds: float) -> None:
    children = _CHILDREN.get((method, route, status))
    if children is None:
        known = method if method in _METHODS else "OTHER"
        children = (
            REQUESTS.labels(known, route, str(status)),
            LATENCY.labels(known, route, str(status)),
        )
        if known == method:  # an unknown method is counted as OTHER, never cached
            _CHILDREN[(method, route, status)] = children
    requests, latency = children
    requests.inc()
    latency.observe(seconds)


def exposition_registry() -> CollectorRegistry:
    """What a scrape reads: with PROMETHEUS_MULTIPROC_DIR (several uvicorn workers),
    every worker's samples aggregated from that directory; else this process's own."""
    return shared_samples_registry() if samples_shared() else REGISTRY


def exposition() -> bytes:
    """The text exposition of `exposition_registry()`."""
    return generate_latest(exposition_registry())
