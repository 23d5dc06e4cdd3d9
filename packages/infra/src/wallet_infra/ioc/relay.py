"""The outbox relay's adapters: the relay store (REQUEST) and the event publisher (APP)."""

from __future__ import annotations

from dishka import Provider, Scope, provide
from faststream.rabbit import RabbitBroker
from sqlalchemy.ext.asyncio import AsyncSession
from wallet_domain.ports.event_publisher import EventPublisher
from wallet_domain.ports.outbox_relay import OutboxRelayStore

from wallet_infra.messaging.publisher import FaststreamEventPublisher, PublishObserver
from wallet_infra.persistence.outbox_relay_store import SqlaOutboxRelayStore


class OutboxRelayProvider(Provider):
    """The store shares the request's session with the TransactionManager, so a batch's
    claim locks and its `sent_at` marks end in the same commit or rollback."""

    @provide(scope=Scope.REQUEST)
    def store(self, session: AsyncSession) -> OutboxRelayStore:
        return SqlaOutboxRelayStore(session=session)

    @provide(scope=Scope.APP)
    def observer(self) -> PublishObserver:
        """None by default; the relay app provides its metrics instead."""
        return _Unobserved()

    @provide(scope=Scope.APP)
    def publisher(self, broker: RabbitBroker, observer: PublishObserver) -> EventPublisher:
        return FaststreamEventPublisher(broker=broker, observer=observer)


class _Unobserved(PublishObserver):
    def batch_published(self, *, confirmed: int, failed: int, seconds: float) -> None:
        return None
