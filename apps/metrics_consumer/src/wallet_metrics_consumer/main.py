"""The metrics consumer's composition root: `make_app` is the only place adapters are chosen."""

from __future__ import annotations

from typing import Final

from dishka import Provider, make_async_container
from faststream.asgi import AsgiFastStream
from prometheus_client import CollectorRegistry
from wallet_infra.config.settings import Settings
from wallet_infra.consuming.consumer_app import consumer_app, consumer_broker
from wallet_infra.consuming.inbox_purge import InboxPurge
from wallet_infra.ioc.consumer_runtime import consumer_providers
from wallet_infra.logging_setup import configure_logging
from wallet_infra.messaging.topology import METRICS_DLQ, METRICS_QUEUE

from wallet_metrics_consumer.ioc import MetricsConsumerProvider
from wallet_metrics_consumer.subscriber import subscribe

APP_ID: Final = "wallet-metrics-consumer"


def make_app(*providers: Provider, settings: Settings | None = None) -> AsgiFastStream:
    """metrics.queue → the business metrics, served on `/metrics` with `/healthz`;
    meanwhile its inbox forgets event_ids older than `inbox_retention_h`. `providers` are
    added after the defaults and override them. Without `settings`, they are read from
    the env. The registry is the app's own (not prometheus_client's global one), so apps
    built in one process, as tests do, count separately."""
    settings = settings or Settings()
    configure_logging(log_format=settings.log_format, log_level=settings.log_level)
    registry = CollectorRegistry()
    broker = consumer_broker(settings, app_id=APP_ID)
    container = make_async_container(
        *consumer_providers(settings, broker=broker, queue=METRICS_QUEUE.name, registry=registry),
        MetricsConsumerProvider(registry),
        *providers,
    )
    return consumer_app(
        app_id=APP_ID,
        broker=broker,
        container=container,
        registry=registry,
        dlq=METRICS_DLQ,
        subscribe=subscribe,
        background=(InboxPurge,),
    )
