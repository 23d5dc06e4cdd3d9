"""The API's `/metrics` on `api_metrics_host:api_metrics_port`, served by the process
`wallet-api` starts (with one worker it serves the API too; with several it is their
supervisor), so Prometheus scrapes a port of its own (the public port serves it too
unless `api_metrics_public` is off).

Several workers are separate processes: their samples meet in PROMETHEUS_MULTIPROC_DIR.
When the operator set none, a private temporary directory is made for this run (before
the workers start, so they inherit it) and removed at exit.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

from wallet_infra.config.settings import Settings
from wallet_infra.metrics.exposition_server import serve_metrics

from wallet_api.ops.http_metrics import MULTIPROC_DIR_ENV, exposition_registry


@contextmanager
def _samples_shared_by_workers(workers: int) -> Iterator[None]:
    if workers == 1 or os.environ.get(MULTIPROC_DIR_ENV):
        yield
        return
    with tempfile.TemporaryDirectory(prefix="wallet-api-metrics-") as directory:
        os.environ[MULTIPROC_DIR_ENV] = directory
        try:
            yield
        finally:
            del os.environ[MULTIPROC_DIR_ENV]


@contextmanager
def api_metrics_port(settings: Settings) -> Iterator[None]:
    """Serve the API's metrics while the block (the server) runs; port 0: not at all."""
    with (
        _samples_shared_by_workers(settings.api_workers),
        serve_metrics(
            exposition_registry(),
            host=settings.api_metrics_host,
            port=settings.api_metrics_port,
            process="wallet-api",
        ),
    ):
        yield
