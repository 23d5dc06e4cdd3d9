"""The RabbitMQ broker, APP scope: one connection (and confirm channel) per process."""

from __future__ import annotations

from collections.abc import AsyncIterator

from dishka import Provider, Scope, provide
from faststream.rabbit import RabbitBroker

from wallet_infra.config.settings import Settings
from wallet_infra.messaging.broker import make_broker


class MessagingProvider(Provider):
    """Builds the broker but does not connect it: the process decides when (a relay
    retries until RabbitMQ answers; a FastStream app starts it in its lifespan).
    Teardown stops it, closing the connection whatever state it is in."""

    scope = Scope.APP

    @provide
    async def broker(self, settings: Settings) -> AsyncIterator[RabbitBroker]:
        broker = make_broker(settings.amqp_url)
        yield broker
        await broker.stop()
