"""Applying provider events (webhooks), for whichever process does it: the API in sync mode,
the webhook consumer in broker mode. Not in `infra_providers`: only those processes need it.

The app supplies the rest of what `ApplyProviderEvent` needs: `PaymentSettlement` (and so a
`ResponseEncoder`, which renders the reply a settled payment's open idempotency key gets),
plus the infra providers (session, clock, ids, the dispute book, and the payments and
event log the events lock and are recorded in). `dispute.updated` goes through
`ApplyDisputeUpdate`, in the same transaction as the event's record.
"""

from __future__ import annotations

from dishka import Provider, Scope, provide
from prometheus_client import REGISTRY, CollectorRegistry
from wallet_domain.ports.dispute_updates import DisputeUpdates
from wallet_domain.ports.provider_event_monitor import ProviderEventMonitor
from wallet_domain.use_cases.apply_dispute_update import ApplyDisputeUpdate
from wallet_domain.use_cases.apply_provider_event import ApplyProviderEvent

from wallet_infra.metrics.provider_event_monitor import PrometheusProviderEventMonitor


class ProviderEventsProvider(Provider):
    """`ApplyProviderEvent` and what only it needs, REQUEST scope (the request's session); the
    counter goes to `registry` (the process's default one unless the app has its own)."""

    scope = Scope.REQUEST

    def __init__(self, registry: CollectorRegistry = REGISTRY) -> None:
        super().__init__()
        self._registry = registry

    apply_provider_event = provide(ApplyProviderEvent)
    dispute_updates = provide(ApplyDisputeUpdate, provides=DisputeUpdates)

    @provide(scope=Scope.APP)
    def monitor(self) -> ProviderEventMonitor:
        return PrometheusProviderEventMonitor(registry=self._registry)
