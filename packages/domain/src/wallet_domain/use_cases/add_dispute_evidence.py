"""The client adds evidence to its dispute."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from wallet_domain.errors import DisputeNotFound
from wallet_domain.model.dispute import Dispute, validate_evidence
from wallet_domain.ports.clock import Clock
from wallet_domain.ports.dispute_book import DisputeBook
from wallet_domain.ports.transaction_manager import TransactionManager
from wallet_domain.unit_of_work import rolling_back


@dataclass(frozen=True, slots=True, kw_only=True)
class AddDisputeEvidenceRequest:
    dispute_id: UUID
    owner: str | None  # the caller's wallet for a scoped key; None for a service key
    evidence: list[str]


@dataclass(frozen=True, slots=True, kw_only=True)
class AddDisputeEvidence:
    """1-20 texts appended while the dispute is OPEN or UNDER_REVIEW (at most 20 in all);
    no event, it is not a move. Otherwise INVALID_STATE with the dispute's status (the row
    lock orders it with the provider's updates). Another wallet's dispute (for a scoped
    key) is NOT_FOUND. The provider is not called here: the recovery worker sends it the
    new texts (`ForwardDisputeEvidence`), and `evidence_forwarded` shows how many it
    holds."""

    book: DisputeBook
    tx: TransactionManager
    clock: Clock

    async def execute(self, request: AddDisputeEvidenceRequest) -> Dispute:
        texts = validate_evidence(request.evidence, required=True)
        async with rolling_back(self.tx):
            dispute = await self.book.lock(request.dispute_id, request.owner)
            if dispute is None:
                raise DisputeNotFound(dispute_id=str(request.dispute_id))
            changed = dispute.add_evidence(texts, self.clock.now())
            await self.book.save(changed, None)
            await self.tx.commit()
        return changed
