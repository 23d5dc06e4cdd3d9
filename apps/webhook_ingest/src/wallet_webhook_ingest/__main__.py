"""`wallet-webhook-ingest`: accept provider webhooks into RabbitMQ (broker mode)."""

from __future__ import annotations

import structlog
import uvicorn
from wallet_infra.config.settings import Settings
from wallet_infra.startup_heap import freeze_startup_heap
from wallet_infra.telemetry import configure_telemetry

from wallet_webhook_ingest.ioc import APP_ID
from wallet_webhook_ingest.main import make_app


def main() -> None:
    settings = Settings()
    configure_telemetry(APP_ID)
    app = make_app(settings=settings)
    if settings.webhook_mode != "broker":
        structlog.get_logger("wallet.webhooks.ingest").warning(
            "webhook_ingest_in_sync_mode",
            hint="WALLET_WEBHOOK_MODE is not `broker`: the API applies webhooks itself",
        )
    freeze_startup_heap()
    uvicorn.run(
        app,
        host=settings.webhook_ingest_host,
        port=settings.webhook_ingest_port,
        lifespan="on",
        loop="uvloop",
        http="httptools",
        timeout_keep_alive=settings.webhook_ingest_keep_alive_s,
        access_log=False,  # the intake logs each webhook with its outcome
        log_config=None,  # keep our structlog set-up
        server_header=False,
    )


if __name__ == "__main__":
    main()
