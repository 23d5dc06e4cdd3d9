"""`wallet-webhook-consumer`: apply provider webhooks from RabbitMQ; `/healthz`, `/metrics`."""

from __future__ import annotations

from wallet_infra.config.settings import Settings
from wallet_infra.consuming.serve import serve
from wallet_infra.telemetry import configure_telemetry

from wallet_webhook_consumer.main import APP_ID, make_app


def main() -> None:
    settings = Settings()
    configure_telemetry(APP_ID)
    serve(
        make_app(settings=settings),
        host=settings.webhook_consumer_host,
        port=settings.webhook_consumer_port,
    )


if __name__ == "__main__":
    main()
