from __future__ import annotations

from typing import Protocol

from wallet_domain.model.provider_event import DisputeUpdated, ProviderEventOutcome


class DisputeUpdates(Protocol):
    """Where the provider's `dispute.updated` events go: the disputes feature's side."""

    async def apply(self, event: DisputeUpdated) -> ProviderEventOutcome:
        """Move the dispute as the event says, in the caller's transaction (never commit:
        the caller records the event and commits both together, or rolls both back when the
        event turns out to be a repeat). Answers APPLIED, REFUSED (a move off the graph),
        ALREADY_SETTLED, or UNKNOWN_TARGET (no such dispute: the caller stores nothing)."""
        ...
