"""The outbox relay's adapters: the relay store and its transaction (REQUEST) and the
event publisher (APP)."""

from __future__ import annotations

from collections.abc import AsyncIterator

from dishka import Provider, Scope, provide
from faststream.rabbit import RabbitBroker
from sqlalchemy.ext.asyncio import AsyncEngine
from wallet_domain.ports.event_publisher import EventPublisher
from wallet_domain.ports.outbox_relay import OutboxRelayStore
from wallet_domain.ports.transaction_manager import TransactionManager

from wallet_infra.messaging.publisher import FaststreamEventPublisher, PublishObserver
from wallet_infra.persistence.driver import PoolTransaction
from wallet_infra.persistence.outbox_relay_store import AsyncpgOutboxRelayStore


class OutboxRelayProvider(Provider):
    """The store runs in the batch's own transaction, which is also the batch's
    TransactionManager, so a batch's claim locks and its `sent_at` marks end in the same
    commit or rollback. (A relay process has no other REQUEST-scoped unit of work.)"""

    @provide(scope=Scope.REQUEST)
    async def transaction(self, engine: AsyncEngine) -> AsyncIterator[PoolTransaction]:
        transaction = PoolTransaction(engine=engine)
        try:
            yield transaction
        finally:
            await transaction.close()

    @provide(scope=Scope.REQUEST)
    def transaction_manager(self, transaction: PoolTransaction) -> TransactionManager:
        return transaction

    @provide(scope=Scope.REQUEST)
    def store(self, transaction: PoolTransaction) -> OutboxRelayStore:
        return AsyncpgOutboxRelayStore(transaction=transaction)

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
