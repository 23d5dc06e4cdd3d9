"""Gateway metrics (Prometheus, the process's default registry, next to the API's HTTP
metrics) and the span around each gateway call.

- `wallet_gateway_calls_total{operation,outcome}`: charges and lookups by final outcome
  (approved, declined, failed, unknown, ...), after retries.
- `wallet_gateway_attempts_total{operation,outcome}`: every HTTP attempt, so retries are
  `attempts - calls`; `wallet_gateway_retries_total{operation}` counts them directly.
- `wallet_gateway_breaker_state{state}`: 1 for the breaker's current state, 0 otherwise.
- `wallet_gateway_bulkhead_in_use` / `wallet_gateway_bulkhead_capacity`: payments holding a
  gateway slot now, and how many may.

The breaker and bulkhead gauges are read at scrape time from the breaker and bulkhead of
the most recently built adapter (one per process; tests build many apps, the last one is
the live one). This module knows those two parts, never the adapter, so the adapter can
import it without an import loop. With `PROMETHEUS_MULTIPROC_DIR` (several API workers)
each worker copies them into the shared directory (`WORKERS`,
`wallet_infra.metrics.worker_gauges`): the bulkhead one series per worker (a `pid` label,
each worker has its own slots, so a saturated worker shows beside idle ones), the breaker's
state 1 if any worker's breaker is in it (so `open` is 1 while one of them is open, and
several states may read 1 at once).
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from functools import cache
from typing import TYPE_CHECKING, Final

from prometheus_client import REGISTRY, Counter
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from wallet_infra.gateway.breaker import BreakerState, CircuitBreaker
from wallet_infra.gateway.bulkhead import Bulkhead
from wallet_infra.metrics.worker_gauges import WorkerGauges

if TYPE_CHECKING:
    from prometheus_client.core import Metric

CALLS: Final = Counter(
    "wallet_gateway_calls",
    "Gateway calls (after retries) by operation and final outcome.",
    ["operation", "outcome"],
)
ATTEMPTS: Final = Counter(
    "wallet_gateway_attempts",
    "Gateway HTTP attempts by operation and outcome.",
    ["operation", "outcome"],
)
RETRIES: Final = Counter(
    "wallet_gateway_retries",
    "Gateway attempts that were retries of an earlier failed attempt.",
    ["operation"],
)


class _GatewayStateCollector(Collector):
    def __init__(self) -> None:
        self._breaker: weakref.ref[CircuitBreaker] | None = None
        self._bulkhead: weakref.ref[Bulkhead] | None = None

    def watch(self, breaker: CircuitBreaker, bulkhead: Bulkhead) -> None:
        self._breaker = weakref.ref(breaker)
        self._bulkhead = weakref.ref(bulkhead)

    def collect(self) -> Iterator[Metric]:
        breaker = self._breaker() if self._breaker is not None else None
        bulkhead = self._bulkhead() if self._bulkhead is not None else None
        state = GaugeMetricFamily(
            "wallet_gateway_breaker_state",
            "Circuit breaker state of the gateway client (1 = current state).",
            labels=["state"],
        )
        in_use = GaugeMetricFamily(
            "wallet_gateway_bulkhead_in_use", "Gateway calls holding a bulkhead slot now."
        )
        capacity = GaugeMetricFamily(
            "wallet_gateway_bulkhead_capacity", "Gateway calls allowed at once (bulkhead size)."
        )
        current = breaker.state if breaker is not None else BreakerState.CLOSED
        for value in BreakerState:
            state.add_metric([value.value], 1.0 if value is current else 0.0)
        in_use.add_metric([], float(bulkhead.in_use if bulkhead is not None else 0))
        capacity.add_metric([], float(bulkhead.capacity if bulkhead is not None else 0))
        yield from (state, in_use, capacity)


STATE: Final = _GatewayStateCollector()
REGISTRY.register(STATE)
WORKERS: Final = WorkerGauges(
    STATE, modes={"wallet_gateway_breaker_state": "livemax"}, default_mode="liveall"
)


def watch(*, breaker: CircuitBreaker, bulkhead: Bulkhead) -> None:
    """Expose this breaker and bulkhead (one adapter's) on the default registry."""
    STATE.watch(breaker, bulkhead)


def attempt_observed(operation: str, attempt: int, outcome: str) -> None:
    _attempts(operation, outcome).inc()
    if attempt > 1:
        RETRIES.labels(operation).inc()


def call_observed(operation: str, outcome: str) -> None:
    _calls(operation, outcome).inc()


# A labelled child per (operation, outcome), looked up once: `labels()` builds the key and
# takes the metric's lock on every call. The label values are a few fixed words, and no
# child is ever removed.
@cache
def _attempts(operation: str, outcome: str) -> Counter:
    return ATTEMPTS.labels(operation, outcome)


@cache
def _calls(operation: str, outcome: str) -> Counter:
    return CALLS.labels(operation, outcome)
