"""Providers of the event consumers' use cases, adapters and delivery handling.

Everything is APP-scoped and resolved once at start-up (see
`wallet_infra.consuming.startup_dependencies`): each delivery's write is one statement on
the pool, batched with the deliveries handled at the same moment and committed before its
use case returns, so a delivery needs no session or request container of its own.
Counters accumulate over the process's life, on the registry the app serves on
`/metrics` (given to the providers, so the route and the counters share it). The batched
adapters are closed (their pending writes finished) before the engine is disposed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

from dishka import Provider, Scope, provide
from faststream.rabbit import RabbitBroker
from prometheus_client import CollectorRegistry
from sqlalchemy.ext.asyncio import AsyncEngine
from wallet_domain.ports.audit_log import AuditLog
from wallet_domain.ports.consumer_inbox import ConsumerInbox
from wallet_domain.ports.payment_metrics import PaymentMetrics
from wallet_domain.use_cases.count_payment_event import METRICS_CONSUMER, CountPaymentEvent
from wallet_domain.use_cases.purge_consumer_inbox import PurgeConsumerInbox, PurgeInboxRequest
from wallet_domain.use_cases.record_audit_event import RecordAuditEvent

from wallet_infra.config.settings import Settings
from wallet_infra.consuming.delivery import DeliveryHandler, RetryPause
from wallet_infra.consuming.inbox_purge import PURGE_BATCH, InboxPurge
from wallet_infra.health import HealthProbe, broker_connected, database
from wallet_infra.metrics.payment_metrics import PrometheusPaymentMetrics
from wallet_infra.persistence.audit_log import AsyncpgAuditLog
from wallet_infra.persistence.consumer_inbox import AsyncpgConsumerInbox


class AuditConsumerProvider(Provider):
    scope = Scope.APP

    @provide
    async def audit_log(self, engine: AsyncEngine) -> AsyncIterator[AuditLog]:
        audit_log = AsyncpgAuditLog(engine=engine)
        yield audit_log
        await audit_log.aclose()

    record_audit_event = provide(RecordAuditEvent)


class MetricsConsumerProvider(Provider):
    """`registry` is given, not made here, so the app's `/metrics` route serves exactly
    the registry the counters are registered on (and tests can read it). Only this
    consumer has an inbox, so only it runs the inbox purge (the audit consumer dedupes on
    audit_log's unique event_id, whose rows are the record itself)."""

    scope = Scope.APP

    def __init__(self, registry: CollectorRegistry) -> None:
        super().__init__()
        self._registry = registry

    @provide
    def payment_metrics(self) -> PaymentMetrics:
        return PrometheusPaymentMetrics(registry=self._registry)

    @provide
    async def inbox(self, engine: AsyncEngine) -> AsyncIterator[ConsumerInbox]:
        inbox = AsyncpgConsumerInbox(engine=engine)
        yield inbox
        await inbox.aclose()

    count_payment_event = provide(CountPaymentEvent)
    purge_consumer_inbox = provide(PurgeConsumerInbox)

    @provide
    def inbox_purge(self, purge: PurgeConsumerInbox, settings: Settings) -> InboxPurge:
        request = PurgeInboxRequest(
            consumer=METRICS_CONSUMER,
            older_than=timedelta(hours=settings.inbox_retention_h),
            batch=PURGE_BATCH,
            max_rows=settings.inbox_purge_max_rows_per_round,
        )
        return InboxPurge(
            purge=purge,
            request=request,
            interval_s=settings.inbox_purge_interval_s,
            registry=self._registry,
        )


class ConsumerRuntimeProvider(Provider):
    """What a consumer process is made of besides its use case: the broker it consumes
    from (given: the FastStream app is built around it), the handler that settles its
    queue's deliveries, its health probe, and how long it pauses before handing a failed
    delivery back (tests override `RetryPause` with zero)."""

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
