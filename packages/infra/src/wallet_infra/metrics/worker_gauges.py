"""Scrape-time gauges (a `Collector` reading live objects: the gateway's breaker and
bulkhead, the DB pool) for processes whose metrics are served from
PROMETHEUS_MULTIPROC_DIR (`wallet_infra.metrics.worker_samples`).

Such a collector lives on one worker's default registry, which no scrape reads: the
process serving `/metrics` only sees what the workers wrote to that directory. So each
worker copies its collectors' current values, every `interval_s`, into prometheus_client
multiprocess Gauges of the same names, documentation and labels, and prometheus_client
serves them across the live workers by each family's mode: `liveall` for a worker's own
resources (pool connections, bulkhead slots: one series per worker, with a `pid` label, so a
ratio such as in use / capacity is a worker's and one full worker shows even while the
others are idle), `livemax` for a 0/1 state (1 if any worker is in it). The `live` modes
drop a worker's values once it is gone (`worker_samples` deletes its files).

A single process (no directory) needs none of this: its collectors are scraped directly.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final, Literal

from prometheus_client import Gauge
from prometheus_client.registry import Collector

from wallet_infra.runtime.periodic import Periodic

Mode = Literal["liveall", "livemax"]
REFRESH_INTERVAL_S: Final = 1.0


class WorkerGauges:
    """The values of one collector's gauge families, copied into multiprocess Gauges.

    `modes` gives a family's aggregation across workers by name; the others use
    `default_mode`. The Gauges are made on the first refresh (in the worker, where
    PROMETHEUS_MULTIPROC_DIR is set) and on no registry: the collector keeps the names on
    this process's own registry, and the directory is what carries these values.
    """

    def __init__(
        self,
        collector: Collector,
        *,
        modes: Mapping[str, Mode] | None = None,
        default_mode: Mode = "liveall",
    ) -> None:
        self._collector = collector
        self._modes = dict(modes or {})
        self._default_mode = default_mode
        self._gauges: dict[str, Gauge] = {}

    def refresh(self) -> None:
        for family in self._collector.collect():
            for sample in family.samples:
                gauge = self._gauge(family.name, family.documentation, tuple(sample.labels))
                (gauge.labels(**sample.labels) if sample.labels else gauge).set(sample.value)

    def _gauge(self, name: str, documentation: str, labels: tuple[str, ...]) -> Gauge:
        gauge = self._gauges.get(name)
        if gauge is None:
            gauge = Gauge(
                name,
                documentation,
                labels,
                registry=None,
                multiprocess_mode=self._modes.get(name, self._default_mode),
            )
            self._gauges[name] = gauge
        return gauge


def worker_gauges_job(
    mirrors: Sequence[WorkerGauges], *, interval_s: float = REFRESH_INTERVAL_S
) -> Periodic:
    """Refresh `mirrors` now and every `interval_s` (a scrape sees values that old at most)."""

    async def round_() -> None:
        for mirror in mirrors:
            mirror.refresh()

    return Periodic(
        round_,
        interval_s=interval_s,
        task_name="worker-gauges",
        failure_event="worker_gauges_refresh_failed",
    )
