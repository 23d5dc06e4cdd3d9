"""Prometheus HTTP metrics: request count and latency per route template and status.

Labels use the route *template* (`/wallets/{user_id}/balance`), never the raw path, so
user ids stay out of metrics and label cardinality stays bounded.
"""

from __future__ import annotations

import os
from typing import Final

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client import multiprocess as prometheus_multiprocess

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


def observe(method: str, route: str, status: int, seconds: float) -> None:
    method = method if method in _METHODS else "OTHER"
    REQUESTS.labels(method, route, str(status)).inc()
    LATENCY.labels(method, route, str(status)).observe(seconds)


def exposition() -> bytes:
    """The text exposition. With several uvicorn workers, set PROMETHEUS_MULTIPROC_DIR
    so every worker's samples are aggregated instead of one worker's being shown."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        prometheus_multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry)
    return generate_latest(REGISTRY)
