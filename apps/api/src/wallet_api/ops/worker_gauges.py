"""The API's scrape-time gauges (gateway breaker and bulkhead, DB pool) when its metrics
are served from PROMETHEUS_MULTIPROC_DIR (several workers): each worker copies them there
on a short timer (`wallet_infra.metrics.worker_gauges`). One process: nothing to do, its
`/metrics` reads them directly."""

from __future__ import annotations

from wallet_infra.gateway import observability
from wallet_infra.metrics.worker_gauges import worker_gauges_job
from wallet_infra.metrics.worker_samples import samples_shared
from wallet_infra.persistence import pool_metrics
from wallet_infra.runtime.periodic import Periodic


def api_worker_gauges_job() -> Periodic | None:
    if not samples_shared():
        return None
    return worker_gauges_job([observability.WORKERS, pool_metrics.WORKERS])
