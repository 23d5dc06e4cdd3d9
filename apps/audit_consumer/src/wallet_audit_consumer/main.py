"""The audit consumer's composition root: `make_app` is the only place adapters are chosen."""

from __future__ import annotations

import logging
from typing import Final

from dishka import Provider, make_async_container
from dishka_faststream import FastStreamProvider, setup_dishka
from faststream.asgi import AsgiFastStream
from prometheus_client import CollectorRegistry
from wallet_infra.config.settings import Settings
from wallet_infra.consuming.dlq_depth import DlqDepth
from wallet_infra.consuming.health import ConsumerHealth
from wallet_infra.consuming.routes import healthz_route, metrics_route
from wallet_infra.consuming.startup import connect_and_declare
from wallet_infra.ioc import DatabaseProvider, PersistenceProvider, SettingsProvider
from wallet_infra.ioc.consumers import AuditConsumerProvider, ConsumerRuntimeProvider
from wallet_infra.logging_setup import configure_logging
from wallet_infra.messaging.broker import make_broker
from wallet_infra.messaging.topology import AUDIT_DLQ, AUDIT_QUEUE

from wallet_audit_consumer.subscriber import subscribe

APP_ID: Final = "wallet-audit-consumer"


def make_app(*providers: Provider, settings: Settings | None = None) -> AsgiFastStream:
    """Build the app: the subscriber plus `/healthz` (§12) and `/metrics` (its delivery
    outcomes: retries and dead-letters are what an operator alerts on). `providers` are
    added after the defaults and override them. Without `settings`, they are read from
    the env."""
    settings = settings or Settings()
    configure_logging(log_format=settings.log_format, log_level=settings.log_level)
    registry = CollectorRegistry()
    broker = make_broker(
        settings.amqp_url, prefetch_count=settings.consumer_prefetch, app_id=APP_ID
    )
    container = make_async_container(
        SettingsProvider(settings),
        DatabaseProvider(),
        PersistenceProvider(),
        ConsumerRuntimeProvider(broker=broker, queue=AUDIT_QUEUE.name, registry=registry),
        AuditConsumerProvider(),
        FastStreamProvider(),
        *providers,
    )
    subscribe(broker)
    dlq_depth = DlqDepth(broker=broker, dlq=AUDIT_DLQ, registry=registry)

    async def declare() -> None:
        """Before consuming: the DLQs and every binding must exist (idempotent)."""
        await connect_and_declare(broker)

    async def health() -> ConsumerHealth:
        return await container.get(ConsumerHealth)

    app = AsgiFastStream(
        broker,
        asgi_routes=[("/healthz", healthz_route(health)), ("/metrics", metrics_route(registry))],
        on_startup=[declare],
        after_startup=[dlq_depth.start],
        on_shutdown=[dlq_depth.stop],
        after_shutdown=[container.close],
        # Through the root handler configure_logging set up (JSON in containers), not
        # FastStream's own stdout handler.
        logger=logging.getLogger(APP_ID),
    )
    setup_dishka(container, app)
    return app
