"""The relay's own providers: its two use cases, REQUEST scope (one per batch), and its
metrics (APP scope)."""

from __future__ import annotations

from dishka import Provider, Scope, provide
from wallet_domain.use_cases.purge_sent_events import PurgeSentEvents
from wallet_domain.use_cases.relay_outbox import RelayOutbox
from wallet_infra.messaging.publisher import PublishObserver

from wallet_relay.metrics import RelayMetrics


class RelayProvider(Provider):
    """Each batch runs in a fresh REQUEST scope: its own session, hence its own
    transaction, released (rolled back if unfinished) when the scope closes."""

    scope = Scope.REQUEST

    relay_outbox = provide(RelayOutbox)
    purge_sent_events = provide(PurgeSentEvents)

    @provide(scope=Scope.APP)
    def metrics(self) -> RelayMetrics:
        """The process's relay metrics, on a registry of their own."""
        return RelayMetrics()

    @provide(scope=Scope.APP)
    def publish_observer(self, metrics: RelayMetrics) -> PublishObserver:
        """The publisher reports each batch's confirms and latency to the metrics."""
        return metrics
