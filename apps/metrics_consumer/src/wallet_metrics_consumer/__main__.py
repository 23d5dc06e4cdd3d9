"""`wallet-metrics-consumer`: count payment events; serve `/metrics` and `/healthz`."""

from __future__ import annotations

from wallet_infra.config.settings import Settings
from wallet_infra.consuming.serve import serve
from wallet_infra.telemetry import configure_telemetry

from wallet_metrics_consumer.main import make_app


def main() -> None:
    settings = Settings()
    configure_telemetry("wallet-metrics-consumer")
    serve(make_app(settings=settings), host=settings.metrics_host, port=settings.metrics_port)


if __name__ == "__main__":
    main()
