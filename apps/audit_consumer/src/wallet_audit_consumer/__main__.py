"""`wallet-audit-consumer`: store every money event once; serve `/healthz`."""

from __future__ import annotations

from wallet_infra.config.settings import Settings
from wallet_infra.consuming.serve import serve
from wallet_infra.telemetry import configure_telemetry

from wallet_audit_consumer.main import make_app


def main() -> None:
    settings = Settings()
    configure_telemetry("wallet-audit-consumer")
    serve(make_app(settings=settings), host=settings.audit_host, port=settings.audit_port)


if __name__ == "__main__":
    main()
