from __future__ import annotations

from typing import Protocol

from wallet_domain.model.provider_event import DisputeUpdated, ProviderEventOutcome


class DisputeUpdates(Protocol):
    """Applies a provider's `dispute.updated` event (once per provider event id)."""

    async def apply(self, event: DisputeUpdated) -> ProviderEventOutcome: ...
