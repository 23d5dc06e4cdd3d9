"""The `DisputeUpdates` a process uses until disputes exist: no dispute is known here."""

from __future__ import annotations

from wallet_domain.model.provider_event import DisputeUpdated, ProviderEventOutcome
from wallet_domain.ports.dispute_updates import DisputeUpdates


class NoDisputeUpdates(DisputeUpdates):
    """Every `dispute.updated` names a dispute we do not have: acknowledged, nothing stored."""

    async def apply(self, event: DisputeUpdated) -> ProviderEventOutcome:
        return ProviderEventOutcome.UNKNOWN_TARGET
