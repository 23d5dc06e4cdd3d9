"""The client adds evidence to its dispute: the provider first, then here."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from wallet_domain.deadline import Deadline
from wallet_domain.dispute_changes import (
    added_since,
    dispute_changed_meanwhile,
    dispute_to_change,
    evidence_key,
    refuse_unless_made,
)
from wallet_domain.model.dispute import Dispute, validate_evidence
from wallet_domain.ports.clock import Clock
from wallet_domain.ports.dispute_book import DisputeBook
from wallet_domain.ports.payment_gateway import EvidenceSubmission, PaymentGateway
from wallet_domain.ports.transaction_manager import TransactionManager
from wallet_domain.unit_of_work import rolling_back

_ACTION = "the evidence"


@dataclass(frozen=True, slots=True, kw_only=True)
class AddDisputeEvidenceRequest:
    dispute_id: UUID
    owner: str | None  # the caller's wallet for a scoped key; None for a service key
    evidence: list[str]
    deadline: Deadline


@dataclass(frozen=True, slots=True, kw_only=True)
class AddDisputeEvidence:
    """1-20 texts appended while the dispute is OPEN or UNDER_REVIEW (at most 20 in all),
    once the provider has them: evidence kept here only would never reach whoever decides
    the dispute. No event: it is not a move.

    Rules:
    - Another wallet's dispute (for a scoped key) is NOT_FOUND; any other status, or a
      filing whose reply is not stored yet, is INVALID_STATE with the dispute's status;
      the gateway refusing calls at once is GATEWAY_UNAVAILABLE. Nothing is sent or
      changed by any of these.
    - The provider is sent the texts (no lock or connection held meanwhile: see
      dispute_changes) with an idempotency key naming this addition to the dispute as it
      was checked, so a resend after no answer is not added twice, here either: an
      identical addition sent at the same time is appended once.
    - The provider took them: appended here. It went past where it takes evidence
      (INVALID_STATE), has no such dispute, failed (GATEWAY_ERROR) or did not answer in
      time (GATEWAY_TIMEOUT): nothing is appended, and the same texts can be sent again.
    """

    book: DisputeBook
    gateway: PaymentGateway
    tx: TransactionManager
    clock: Clock

    async def execute(self, request: AddDisputeEvidenceRequest) -> Dispute:
        texts = validate_evidence(request.evidence, required=True)
        async with self.gateway.admission():
            dispute = await dispute_to_change(
                self.book,
                self.tx,
                request.dispute_id,
                request.owner,
                allowed=lambda d: d.add_evidence(texts, self.clock.now()),
                action="add evidence",
            )
            submission = EvidenceSubmission(
                dispute_id=dispute.id, evidence=texts, key=evidence_key(dispute, texts)
            )
            answer = await self.gateway.submit_evidence(submission, request.deadline)
        async with rolling_back(self.tx):
            current = await dispute_changed_meanwhile(self.book, dispute.id)
            refuse_unless_made(current, answer, _ACTION, not_filed_made=False)
            if added_since(current.evidence, len(dispute.evidence), texts):
                await self.tx.rollback()
                return current
            # INVALID_STATE if it moved past review meanwhile (the provider has the texts
            # and its update follows); VALIDATION_ERROR if other evidence filled it up.
            changed = current.add_evidence(texts, self.clock.now())
            await self.book.save(changed, None)
            await self.tx.commit()
        return changed
