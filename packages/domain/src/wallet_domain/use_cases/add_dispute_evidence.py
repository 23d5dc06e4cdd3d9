"""The client adds evidence to its dispute: the provider first, then here."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from wallet_domain.deadline import Deadline
from wallet_domain.dispute_changes import evidence_key, refuse_unless_made, refuse_while_filing
from wallet_domain.errors import DisputeNotFound
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
    - The provider is sent the texts under the dispute's row lock (its updates wait),
      with an idempotency key naming this addition to the dispute as it is now, so a
      resend after no answer is not added twice.
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
        async with self.gateway.admission(), rolling_back(self.tx):
            dispute = await self.book.lock(request.dispute_id, request.owner)
            if dispute is None:
                raise DisputeNotFound(dispute_id=str(request.dispute_id))
            dispute.add_evidence(texts, self.clock.now())  # refused here before any call
            await refuse_while_filing(self.book, dispute, "add evidence")
            submission = EvidenceSubmission(
                dispute_id=dispute.id, evidence=texts, key=evidence_key(dispute, texts)
            )
            answer = await self.gateway.submit_evidence(submission, request.deadline)
            refuse_unless_made(dispute, answer, _ACTION, not_filed_made=False)
            changed = dispute.add_evidence(texts, self.clock.now())
            await self.book.save(changed, None)
            await self.tx.commit()
        return changed
