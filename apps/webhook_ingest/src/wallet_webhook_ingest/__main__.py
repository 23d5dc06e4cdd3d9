"""`wallet-webhook-ingest`: accept provider webhooks into RabbitMQ (broker mode), on the
same limited HTTP server as the API (`wallet_infra.http_server`): the provider's endpoint
is public, so a huge or never-finished request head is refused, not held."""

from __future__ import annotations

import structlog
from starlette.applications import Starlette
from wallet_infra.config.settings import Settings
from wallet_infra.http_server.config import LimitedConfig
from wallet_infra.http_server.limits import ServerLimits
from wallet_infra.http_server.protocol import LimitedHttpToolsProtocol
from wallet_infra.http_server.run import serve
from wallet_infra.startup_heap import freeze_startup_heap
from wallet_infra.telemetry import configure_telemetry

from wallet_webhook_ingest.intake import LOGGER
from wallet_webhook_ingest.ioc import APP_ID
from wallet_webhook_ingest.main import make_app


def server_config(settings: Settings, app: Starlette) -> LimitedConfig:
    return LimitedConfig(
        app,
        limits=ServerLimits(
            max_header_bytes=settings.webhook_ingest_max_header_bytes,
            header_timeout_s=settings.webhook_ingest_header_timeout_s,
            body_timeout_s=settings.webhook_ingest_body_timeout_s,
            max_connections=settings.webhook_ingest_max_connections,
        ),
        access_logger=LOGGER,  # the server's refusals log beside the intake's
        host=settings.webhook_ingest_host,
        port=settings.webhook_ingest_port,
        lifespan="on",
        loop="uvloop",
        http=LimitedHttpToolsProtocol,
        ws="none",  # no WebSocket route: an Upgrade is answered as plain HTTP, under the limits
        timeout_keep_alive=settings.webhook_ingest_keep_alive_s,
        access_log=False,  # the intake logs each webhook with its outcome
        log_config=None,  # keep our structlog set-up
        server_header=False,
    )


def main() -> None:
    settings = Settings()
    configure_telemetry(APP_ID)
    app = make_app(settings=settings)
    if settings.webhook_mode != "broker":
        structlog.get_logger(LOGGER).warning(
            "webhook_ingest_in_sync_mode",
            hint="WALLET_WEBHOOK_MODE is not `broker`: the API applies webhooks itself",
        )
    freeze_startup_heap()
    serve(server_config(settings, app))


if __name__ == "__main__":
    main()
