"""The API's `/metrics` on `api_metrics_host:api_metrics_port`, served by the process
`wallet-api` starts (with one worker it serves the API too; with several it is their
supervisor), so Prometheus scrapes a port of its own (the public port serves it too
unless `api_metrics_public` is off).

Several workers are separate processes: their samples meet in PROMETHEUS_MULTIPROC_DIR
(`wallet_infra.metrics.worker_samples`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from wallet_infra.config.settings import Settings
from wallet_infra.metrics.exposition_server import serve_metrics
from wallet_infra.metrics.worker_samples import samples_shared_by_workers

from wallet_api.ops.http_metrics import exposition_registry


@contextmanager
def api_metrics_port(settings: Settings, workers: int) -> Iterator[None]:
    """Serve the API's metrics while the block (the server, `workers` processes) runs;
    port 0: not at all."""
    with (
        samples_shared_by_workers(workers),
        serve_metrics(
            exposition_registry(),
            host=settings.api_metrics_host,
            port=settings.api_metrics_port,
            process="wallet-api",
        ),
    ):
        yield
