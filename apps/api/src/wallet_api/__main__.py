"""`wallet-api`: serve the API with uvicorn (uvloop + httptools, with the server limits of
`wallet_infra.http_server`), `api_workers` processes, and its `/metrics` on the metrics port."""

from __future__ import annotations

from wallet_infra.config.settings import Settings
from wallet_infra.logging_setup import configure_logging

from wallet_api.server.run import run


def main() -> None:
    settings = Settings()
    configure_logging(log_format=settings.log_format, log_level=settings.log_level)
    run(settings)


if __name__ == "__main__":
    main()
