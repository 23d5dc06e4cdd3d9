"""`wallet-relay`: publish committed outbox events to RabbitMQ, until SIGTERM."""

from __future__ import annotations

import uvloop
from wallet_infra.config.settings import Settings
from wallet_infra.logging_setup import configure_logging
from wallet_infra.telemetry import configure_telemetry

from wallet_relay.main import SERVICE_NAME, make_app


def main() -> None:
    settings = Settings()
    configure_telemetry(SERVICE_NAME)
    configure_logging(log_format=settings.log_format, log_level=settings.log_level)
    uvloop.run(make_app(settings=settings).serve())


if __name__ == "__main__":
    main()
