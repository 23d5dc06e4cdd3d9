"""The metrics consumer's composition root: `make_app` is the only place adapters are chosen."""

from __future__ import annotations

from typing import Final

from dishka import Provider
from faststream.asgi import AsgiFastStream
from wallet_infra.config.settings import Settings
from wallet_infra.consuming.app_factory import build_consumer_app
from wallet_infra.consuming.inbox_purge import InboxPurge
from wallet_infra.ioc.consumers import MetricsConsumerProvider
from wallet_infra.messaging.topology import METRICS_DLQ, METRICS_QUEUE

from wallet_metrics_consumer.subscriber import subscribe

APP_ID: Final = "wallet-metrics-consumer"


def make_app(*providers: Provider, settings: Settings | None = None) -> AsgiFastStream:
    """metrics.queue → the business metrics (docs/events.md), served on `/metrics` with `/healthz`;
    meanwhile its inbox forgets event_ids older than `inbox_retention_h`.
    `providers` override the defaults. Without `settings`, they are read from the env."""
    return build_consumer_app(
        app_id=APP_ID,
        settings=settings or Settings(),
        queue=METRICS_QUEUE,
        dlq=METRICS_DLQ,
        subscribe=subscribe,
        consumer_provider=MetricsConsumerProvider,
        background=(InboxPurge,),
        providers=providers,
    )
