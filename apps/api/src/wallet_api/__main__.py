"""`wallet-api`: serve the API with uvicorn (uvloop + httptools), `api_workers` processes."""

from __future__ import annotations

import uvicorn
from wallet_infra.config.settings import Settings
from wallet_infra.logging_setup import configure_logging


def main() -> None:
    settings = Settings()
    configure_logging(log_format=settings.log_format, log_level=settings.log_level)
    # Factory mode by import string: each worker process builds its own app, container,
    # pool and gateway client (none of them can be shared across processes).
    uvicorn.run(
        "wallet_api.main:serve_app",
        factory=True,
        host=settings.api_host,
        port=settings.api_port,
        workers=settings.api_workers,
        loop="uvloop",
        http="httptools",
        access_log=False,  # RequestTelemetryMiddleware writes one structured line per request
        log_config=None,  # keep our structlog set-up
        server_header=False,
    )


if __name__ == "__main__":
    main()
