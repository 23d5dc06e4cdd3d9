"""The webhook consumer's composition root: `make_app` is the only place adapters are chosen."""

from __future__ import annotations

from typing import Final

from dishka import Provider, make_async_container
from faststream.asgi import AsgiFastStream
from prometheus_client import CollectorRegistry
from wallet_infra.config.settings import Settings
from wallet_infra.consuming.consumer_app import consumer_app, consumer_broker
from wallet_infra.ioc.consumer_runtime import consumer_providers
from wallet_infra.logging_setup import configure_logging
from wallet_infra.messaging.topology import WEBHOOKS_DLQ, WEBHOOKS_QUEUE

from wallet_webhook_consumer.ioc import webhook_consumer_providers
from wallet_webhook_consumer.subscriber import subscribe

APP_ID: Final = "wallet-webhook-consumer"


def make_app(*providers: Provider, settings: Settings | None = None) -> AsgiFastStream:
    """webhooks.queue → ApplyProviderEvent, plus `/healthz` and `/metrics`. `providers`
    are added after the defaults and override them. Without `settings`, they are read
    from the env. The registry is the app's own, so apps built in one process count
    separately."""
    settings = settings or Settings()
    configure_logging(log_format=settings.log_format, log_level=settings.log_level)
    registry = CollectorRegistry()
    broker = consumer_broker(settings, app_id=APP_ID)
    container = make_async_container(
        *consumer_providers(settings, broker=broker, queue=WEBHOOKS_QUEUE.name, registry=registry),
        *webhook_consumer_providers(registry),
        *providers,
    )
    return consumer_app(
        app_id=APP_ID,
        broker=broker,
        container=container,
        registry=registry,
        dlq=WEBHOOKS_DLQ,
        subscribe=subscribe,
    )
