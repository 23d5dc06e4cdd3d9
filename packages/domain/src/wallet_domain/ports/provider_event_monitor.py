from __future__ import annotations

from typing import Protocol

from wallet_domain.model.provider_event import ProviderEvent, ProviderEventOutcome


class ProviderEventMonitor(Protocol):
    """What operators see of provider events: a count by type and outcome, and a log line."""

    def observed(self, event: ProviderEvent, outcome: ProviderEventOutcome) -> None:
        """Count and log one delivery once its outcome is committed (or nothing was to be
        written). Cannot fail: nothing can be undone at this point."""
        ...
