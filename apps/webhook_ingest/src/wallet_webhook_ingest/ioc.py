"""The ingest's providers, all APP scope: the broker (its own connection and confirm
channel), the verifier, the publisher, the metrics and the route's work. No database: the
container has no engine to hand out."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Final

from dishka import Provider, Scope, provide
from faststream.rabbit import RabbitBroker
from wallet_infra.config.settings import Settings
from wallet_infra.health import HealthProbe, broker_connected
from wallet_infra.messaging.broker import make_broker
from wallet_infra.messaging.webhook_publisher import ConfirmedWebhookPublisher
from wallet_infra.webhooks.signature import WebhookVerifier

from wallet_webhook_ingest.broker_link import BrokerLink
from wallet_webhook_ingest.intake import WebhookIntake
from wallet_webhook_ingest.metrics import IngestMetrics

APP_ID: Final = "wallet-webhook-ingest"


class IngestProvider(Provider):
    scope = Scope.APP

    @provide
    async def broker(self, settings: Settings) -> AsyncIterator[RabbitBroker]:
        """Not connected here: `BrokerLink` does, in the background."""
        broker = make_broker(settings.amqp_url, app_id=APP_ID)
        yield broker
        await broker.stop()

    @provide
    def verifier(self, settings: Settings) -> WebhookVerifier:
        return WebhookVerifier(settings.webhook_secrets)

    @provide
    def publisher(self, broker: RabbitBroker, settings: Settings) -> ConfirmedWebhookPublisher:
        return ConfirmedWebhookPublisher(
            broker=broker, confirm_timeout_s=settings.webhook_ingest_confirm_timeout_s
        )

    @provide
    def metrics(self) -> IngestMetrics:
        return IngestMetrics()

    @provide
    def intake(
        self,
        verifier: WebhookVerifier,
        publisher: ConfirmedWebhookPublisher,
        metrics: IngestMetrics,
        settings: Settings,
    ) -> WebhookIntake:
        return WebhookIntake(
            verifier=verifier,
            publisher=publisher,
            metrics=metrics,
            max_body_bytes=settings.max_body_bytes,
        )

    @provide
    def broker_link(self, broker: RabbitBroker) -> BrokerLink:
        return BrokerLink(broker)

    @provide
    def health(self, broker: RabbitBroker, link: BrokerLink) -> HealthProbe:
        """`/readyz`: connected to RabbitMQ, and the topology declared (webhooks routable)."""
        return HealthProbe(broker_connected(broker), link.check)
