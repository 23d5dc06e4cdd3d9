"""Applying provider events (webhooks), for whichever process does it: the API in sync mode,
the webhook consumer in broker mode. Not in `infra_providers`: only those processes need it.

The app supplies the rest of what `ApplyProviderEvent` needs: `PaymentSettlement` (and so a
`ResponseEncoder`, which renders the reply a settled payment's open idempotency key gets),
plus the infra providers (session, clock, ids, the dispute book). `dispute.updated` goes
through `ApplyDisputeUpdate`, in the same transaction as the event's record.
"""

from __future__ import annotations

from dishka import Provider, Scope, provide
from prometheus_client import REGISTRY, CollectorRegistry
from sqlalchemy.ext.asyncio import AsyncSession
from wallet_domain.ports.dispute_updates import DisputeUpdates
from wallet_domain.ports.provider_event_log import ProviderEventLog
from wallet_domain.ports.provider_event_monitor import ProviderEventMonitor
from wallet_domain.ports.provider_payments import ProviderPayments
from wallet_domain.use_cases.apply_dispute_update import ApplyDisputeUpdate
from wallet_domain.use_cases.apply_provider_event import ApplyProviderEvent

from wallet_infra.metrics.provider_event_monitor import PrometheusProviderEventMonitor
from wallet_infra.persistence.provider_event_log import AsyncpgProviderEventLog
from wallet_infra.persistence.provider_payments import SqlaProviderPayments
from wallet_infra.telemetry import current_traceparent


class ProviderEventsProvider(Provider):
    """`ApplyProviderEvent` and its adapters, REQUEST scope (the request's session); the
    counter goes to `registry` (the process's default one unless the app has its own)."""

    scope = Scope.REQUEST

    def __init__(self, registry: CollectorRegistry = REGISTRY) -> None:
        super().__init__()
        self._registry = registry

    apply_provider_event = provide(ApplyProviderEvent)
    event_log = provide(AsyncpgProviderEventLog, provides=ProviderEventLog)
    dispute_updates = provide(ApplyDisputeUpdate, provides=DisputeUpdates)

    @provide
    def provider_payments(self, session: AsyncSession) -> ProviderPayments:
        return SqlaProviderPayments(session=session, traceparent_provider=current_traceparent)

    @provide(scope=Scope.APP)
    def monitor(self) -> ProviderEventMonitor:
        return PrometheusProviderEventMonitor(registry=self._registry)
