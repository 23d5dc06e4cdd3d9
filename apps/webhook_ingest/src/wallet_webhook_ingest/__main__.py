"""`wallet-webhook-ingest`: accept provider webhooks into RabbitMQ (broker mode), on the
same limited HTTP server as the API (`wallet_infra.http_server`): the provider's endpoint
is public, so a huge or never-finished request head is refused, not held.

`webhook_ingest_workers` (else `WEB_CONCURRENCY`) processes, in factory mode: each worker
builds its own app and broker connection (neither can cross a process). With several,
their samples meet in PROMETHEUS_MULTIPROC_DIR and this process serves them added up."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import structlog
from wallet_infra.config.settings import Settings
from wallet_infra.http_server.config import LimitedConfig
from wallet_infra.http_server.limits import ServerLimits
from wallet_infra.http_server.protocol import LimitedHttpToolsProtocol
from wallet_infra.http_server.run import serve
from wallet_infra.http_server.workers import worker_count
from wallet_infra.logging_setup import configure_logging
from wallet_infra.metrics.exposition_server import serve_metrics
from wallet_infra.metrics.worker_samples import (
    samples_shared,
    samples_shared_by_workers,
    shared_samples_registry,
)

from wallet_webhook_ingest.intake import LOGGER
from wallet_webhook_ingest.ioc import APP_ID

APP_FACTORY = "wallet_webhook_ingest.main:serve_app"


def server_config(settings: Settings, app: object = APP_FACTORY) -> LimitedConfig:
    """Factory mode by import string (the default): an app object cannot be pickled into
    the workers' processes."""
    return LimitedConfig(
        app,
        limits=ServerLimits(
            max_header_bytes=settings.webhook_ingest_max_header_bytes,
            header_timeout_s=settings.webhook_ingest_header_timeout_s,
            body_timeout_s=settings.webhook_ingest_body_timeout_s,
            max_connections=settings.webhook_ingest_max_connections,
        ),
        access_logger=LOGGER,  # the server's refusals log beside the intake's
        factory=isinstance(app, str),
        host=settings.webhook_ingest_host,
        port=settings.webhook_ingest_port,
        workers=worker_count(settings.webhook_ingest_workers),
        lifespan="on",
        loop="uvloop",
        http=LimitedHttpToolsProtocol,
        ws="none",  # no WebSocket route: an Upgrade is answered as plain HTTP, under the limits
        timeout_keep_alive=settings.webhook_ingest_keep_alive_s,
        access_log=False,  # the intake logs each webhook with its outcome
        log_config=None,  # keep our structlog set-up
        server_header=False,
    )


@contextmanager
def _workers_metrics_port(settings: Settings, workers: int) -> Iterator[None]:
    """Shared samples (several workers, or the operator's PROMETHEUS_MULTIPROC_DIR): served
    from here, added up; else the one app's lifespan serves its own registry."""
    with samples_shared_by_workers(workers):
        if not samples_shared():
            yield
            return
        with serve_metrics(
            shared_samples_registry(),
            host=settings.webhook_ingest_metrics_host,
            port=settings.webhook_ingest_metrics_port,
            process=APP_ID,
        ):
            yield


def main() -> None:
    settings = Settings()
    configure_logging(log_format=settings.log_format, log_level=settings.log_level)
    if settings.webhook_mode != "broker":
        structlog.get_logger(LOGGER).warning(
            "webhook_ingest_in_sync_mode",
            hint="WALLET_WEBHOOK_MODE is not `broker`: the API applies webhooks itself",
        )
    config = server_config(settings)
    with _workers_metrics_port(settings, config.workers):
        serve(config)


if __name__ == "__main__":
    main()
