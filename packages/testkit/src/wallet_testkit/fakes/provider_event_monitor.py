"""A counting `ProviderEventMonitor` port."""

from __future__ import annotations

from collections import Counter

from wallet_domain.model.provider_event import ProviderEvent, ProviderEventOutcome
from wallet_domain.model.provider_event_label import event_type_label
from wallet_domain.ports.provider_event_monitor import ProviderEventMonitor


class CountingMonitor(ProviderEventMonitor):
    def __init__(self) -> None:
        self.counts: Counter[tuple[str, str]] = Counter()
        self.seen: list[tuple[str, ProviderEventOutcome]] = []

    def observed(self, event: ProviderEvent, outcome: ProviderEventOutcome) -> None:
        self.counts[(event_type_label(event), outcome.value)] += 1
        self.seen.append((event.provider_event_id, outcome))
