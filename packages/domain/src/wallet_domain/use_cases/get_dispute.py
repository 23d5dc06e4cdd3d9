"""Look up one dispute."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from wallet_domain.errors import DisputeNotFound
from wallet_domain.model.dispute import Dispute
from wallet_domain.ports.dispute_book import DisputeBook


@dataclass(frozen=True, slots=True, kw_only=True)
class GetDisputeRequest:
    dispute_id: UUID
    owner: str | None  # the caller's wallet for a scoped key; None for a service key


@dataclass(frozen=True, slots=True, kw_only=True)
class GetDispute:
    """The dispute and its current status; another wallet's (for a scoped key) is
    NOT_FOUND, exactly like a dispute that does not exist."""

    book: DisputeBook

    async def execute(self, request: GetDisputeRequest) -> Dispute:
        dispute = await self.book.get(request.dispute_id, request.owner)
        if dispute is None:
            raise DisputeNotFound(dispute_id=str(request.dispute_id))
        return dispute
