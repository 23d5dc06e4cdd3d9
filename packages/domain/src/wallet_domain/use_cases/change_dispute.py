"""The client's changes to a dispute: add evidence, or cancel it."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from wallet_domain.errors import DisputeNotFound
from wallet_domain.model.dispute import Dispute, validate_evidence
from wallet_domain.model.events import dispute_event
from wallet_domain.ports.clock import Clock
from wallet_domain.ports.dispute_book import DisputeBook
from wallet_domain.ports.id_generator import IdGenerator
from wallet_domain.ports.transaction_manager import TransactionManager
from wallet_domain.unit_of_work import rolling_back


@dataclass(frozen=True, slots=True, kw_only=True)
class ChangeDisputeRequest:
    dispute_id: UUID
    owner: str | None  # the caller's wallet for a scoped key; None for a service key
    evidence: list[str] | None = None  # append these texts; None: cancel the dispute


@dataclass(frozen=True, slots=True, kw_only=True)
class ChangeDispute:
    """Evidence: 1-20 texts appended while the dispute is OPEN or UNDER_REVIEW (at most 20
    in all); no event, it is not a move. Cancel: OPEN or UNDER_REVIEW -> CANCELED with
    `dispute.updated`. Anything else is INVALID_STATE with the dispute's status; the row
    lock makes a cancel and a provider update race fairly (one wins, the other sees where
    it went). Another wallet's dispute (for a scoped key) is NOT_FOUND."""

    book: DisputeBook
    tx: TransactionManager
    clock: Clock
    ids: IdGenerator

    async def execute(self, request: ChangeDisputeRequest) -> Dispute:
        texts = None
        if request.evidence is not None:
            texts = validate_evidence(request.evidence, required=True)
        async with rolling_back(self.tx):
            dispute = await self.book.lock(request.dispute_id, request.owner)
            if dispute is None:
                raise DisputeNotFound(dispute_id=str(request.dispute_id))
            now = self.clock.now()
            if texts is not None:
                changed = dispute.add_evidence(texts, now)
                await self.book.save(changed, None)
            else:
                changed = dispute.cancel(now)
                await self.book.save(
                    changed, dispute_event(changed, event_id=self.ids.new_id(), at=now)
                )
            await self.tx.commit()
        return changed
