"""The relay's own providers: its two use cases, REQUEST scope (one per batch)."""

from __future__ import annotations

from dishka import Provider, Scope, provide
from wallet_domain.use_cases.purge_sent_events import PurgeSentEvents
from wallet_domain.use_cases.relay_outbox import RelayOutbox


class RelayProvider(Provider):
    """Each batch runs in a fresh REQUEST scope: its own session, hence its own
    transaction, released (rolled back if unfinished) when the scope closes."""

    scope = Scope.REQUEST

    relay_outbox = provide(RelayOutbox)
    purge_sent_events = provide(PurgeSentEvents)
