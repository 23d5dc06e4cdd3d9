"""The relay's own providers: its two use cases, REQUEST scope (one per batch), its
per-event retry delays and its metrics (APP scope)."""

from __future__ import annotations

from dishka import Provider, Scope, provide
from wallet_domain.model.publish_retry import PublishRetry
from wallet_domain.use_cases.purge_sent_events import PurgeSentEvents
from wallet_domain.use_cases.relay_outbox import RelayOutbox
from wallet_infra.config.settings import Settings
from wallet_infra.ioc.recovery import doubling
from wallet_infra.messaging.publisher import PublishObserver

from wallet_relay.metrics import RelayMetrics


class RelayProvider(Provider):
    """Each batch runs in a fresh REQUEST scope: its own session, hence its own
    transaction, released (rolled back if unfinished) when the scope closes."""

    scope = Scope.REQUEST

    relay_outbox = provide(RelayOutbox)
    purge_sent_events = provide(PurgeSentEvents)

    @provide(scope=Scope.APP)
    def publish_retry(self, settings: Settings) -> PublishRetry:
        """How long an event the broker did not confirm waits before it is offered again."""
        base, cap = doubling(settings.relay_retry_base_s, settings.relay_retry_max_s)
        return PublishRetry(base=base, cap=cap)

    @provide(scope=Scope.APP)
    def metrics(self) -> RelayMetrics:
        """The process's relay metrics, on a registry of their own."""
        return RelayMetrics()

    @provide(scope=Scope.APP)
    def publish_observer(self, metrics: RelayMetrics) -> PublishObserver:
        """The publisher reports each batch's confirms and latency to the metrics."""
        return metrics
