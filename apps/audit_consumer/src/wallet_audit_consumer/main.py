"""The audit consumer's composition root: `make_app` is the only place adapters are chosen."""

from __future__ import annotations

from typing import Final

from dishka import Provider
from faststream.asgi import AsgiFastStream
from wallet_infra.config.settings import Settings
from wallet_infra.consuming.app_factory import build_consumer_app
from wallet_infra.ioc.consumers import AuditConsumerProvider
from wallet_infra.messaging.topology import AUDIT_DLQ, AUDIT_QUEUE

from wallet_audit_consumer.subscriber import subscribe

APP_ID: Final = "wallet-audit-consumer"


def make_app(*providers: Provider, settings: Settings | None = None) -> AsgiFastStream:
    """audit.queue → audit_log, plus `/healthz` and `/metrics`. `providers` override the
    defaults. Without `settings`, they are read from the env."""
    return build_consumer_app(
        app_id=APP_ID,
        settings=settings or Settings(),
        queue=AUDIT_QUEUE,
        dlq=AUDIT_DLQ,
        subscribe=subscribe,
        consumer_provider=lambda _registry: AuditConsumerProvider(),
        providers=providers,
    )
