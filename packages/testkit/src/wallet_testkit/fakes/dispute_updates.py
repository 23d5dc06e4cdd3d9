"""A scripted `DisputeUpdates` port."""

from __future__ import annotations

from wallet_domain.model.provider_event import DisputeUpdated, ProviderEventOutcome
from wallet_domain.ports.dispute_updates import DisputeUpdates


class ScriptedDisputeUpdates(DisputeUpdates):
    """Answers `outcome` for every dispute event and records what it was handed."""

    def __init__(self, outcome: ProviderEventOutcome) -> None:
        self.outcome = outcome
        self.applied: list[DisputeUpdated] = []

    async def apply(self, event: DisputeUpdated) -> ProviderEventOutcome:
        self.applied.append(event)
        return self.outcome
