"""The metrics consumer's own providers: its use cases, the business metrics it counts
into, its inbox, and the inbox purge that runs beside consuming.

APP scope, resolved once at start-up. `registry` is given, not made here, so the app's
`/metrics` route serves exactly the registry the counters are registered on (and tests
can read it). Only this consumer has an inbox, so only it runs the inbox purge (the audit
consumer dedupes on audit_log's unique event_id, whose rows are the record itself). The
batched inbox finishes its pending writes when the container closes, before the engine
is disposed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

from dishka import Provider, Scope, provide
from prometheus_client import CollectorRegistry
from sqlalchemy.ext.asyncio import AsyncEngine
from wallet_domain.ports.consumer_inbox import ConsumerInbox
from wallet_domain.ports.payment_metrics import PaymentMetrics
from wallet_domain.use_cases.count_payment_event import METRICS_CONSUMER, CountPaymentEvent
from wallet_domain.use_cases.purge_consumer_inbox import PurgeConsumerInbox, PurgeInboxRequest
from wallet_infra.config.settings import INBOX_PURGE_BATCH, Settings
from wallet_infra.consuming.inbox_purge import InboxPurge
from wallet_infra.metrics.payment_metrics import PrometheusPaymentMetrics
from wallet_infra.persistence.consumer_inbox import AsyncpgConsumerInbox


class MetricsConsumerProvider(Provider):
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
            batch=INBOX_PURGE_BATCH,
            max_rows=settings.inbox_purge_max_rows_per_round,
        )
        return InboxPurge(
            purge=purge,
            request=request,
            interval_s=settings.inbox_purge_interval_s,
            registry=self._registry,
        )
