from __future__ import annotations

from datetime import datetime
from typing import Protocol
from uuid import UUID

from wallet_domain.model.provider_event import ProviderEventOutcome


class ProviderEventLog(Protocol):
    """The provider events handled here, one per `provider_event_id`: what makes each event
    apply at most once, whoever delivers it and however often."""

    async def record(
        self,
        *,
        provider_event_id: str,
        event_type: str,
        subject_id: UUID | None,
        outcome: ProviderEventOutcome,
        created_at: datetime,
    ) -> bool:
        """Store the event with its outcome in the caller's transaction, so it commits with
        the event's effect. False, with nothing written, if that id is stored already; a
        concurrent transaction storing the same id is waited for (then False if it commits)."""
        ...

    async def refund_recorded(self, payment_id: UUID) -> bool:
        """Whether a `payment.refunded` about this payment is stored, applied or refused
        (read afresh: one committed since the caller's transaction began counts)."""
        ...
