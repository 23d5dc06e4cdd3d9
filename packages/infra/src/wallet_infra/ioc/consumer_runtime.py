"""What every event consumer process is made of besides its own use case: the shared
infra providers, and the runtime that settles its queue's deliveries.

Everything is APP-scoped and resolved once at start-up (see
`wallet_infra.consuming.startup_dependencies`): each delivery's write is one statement on
the pool, batched with the deliveries handled at the same moment and committed before its
use case returns, so a delivery needs no session or request container of its own. Each
consumer app adds its own provider (its use case and adapters) in its `ioc` module.
"""

from __future__ import annotations

from dishka import Provider, Scope, provide
from faststream.rabbit import RabbitBroker
from prometheus_client import CollectorRegistry
from sqlalchemy.ext.asyncio import AsyncEngine

from wallet_infra.config.settings import Settings
from wallet_infra.consuming.delivery import DeliveryHandler, RetryPause
from wallet_infra.health import HealthProbe, broker_connected, database
from wallet_infra.ioc.core import CoreProvider
from wallet_infra.ioc.database import DatabaseProvider
from wallet_infra.ioc.persistence import PersistenceProvider
from wallet_infra.ioc.settings import SettingsProvider


class ConsumerRuntimeProvider(Provider):
    """The broker a consumer consumes from (given: the FastStream app is built around
    it), the handler that settles its queue's deliveries, its health probe, and how long
    it pauses before handing a failed delivery back (tests override `RetryPause` with
    zero). Counters go on `registry`, the one the app serves on `/metrics`."""

    scope = Scope.APP

    def __init__(self, *, broker: RabbitBroker, queue: str, registry: CollectorRegistry) -> None:
        super().__init__()
        self._broker = broker
        self._queue = queue
        self._registry = registry

    @provide
    def broker(self) -> RabbitBroker:
        return self._broker

    @provide
    def retry_pause(self) -> RetryPause:
        return RetryPause()

    @provide
    def delivery_handler(self, pause: RetryPause) -> DeliveryHandler:
        return DeliveryHandler(queue=self._queue, registry=self._registry, pause=pause)

    @provide
    def health(self, broker: RabbitBroker, engine: AsyncEngine) -> HealthProbe:
        """`/healthz`: connected to the broker, and the database answers."""
        return HealthProbe(broker_connected(broker), database(engine))


def consumer_providers(
    settings: Settings, *, broker: RabbitBroker, queue: str, registry: CollectorRegistry
) -> tuple[Provider, ...]:
    """Everything a consumer needs from infra, in override order (later wins)."""
    return (
        SettingsProvider(settings),
        DatabaseProvider(),
        PersistenceProvider(),
        CoreProvider(),
        ConsumerRuntimeProvider(broker=broker, queue=queue, registry=registry),
    )
