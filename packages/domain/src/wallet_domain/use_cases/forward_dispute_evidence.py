"""Send the provider the evidence its disputes gained after they were filed."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from uuid import UUID

from wallet_domain.deadline import Deadline
from wallet_domain.errors import GatewayUnavailable
from wallet_domain.ports.clock import Clock
from wallet_domain.ports.dispute_book import DisputeBook
from wallet_domain.ports.payment_gateway import EvidenceStatus, PaymentGateway
from wallet_domain.ports.transaction_manager import TransactionManager
from wallet_domain.unit_of_work import rolling_back


@dataclass(frozen=True, slots=True, kw_only=True)
class ForwardEvidenceRequest:
    batch: int  # disputes per round, at most
    timeout_s: float  # for each call to the provider
    # How long a claimed dispute is left to the worker that claimed it (longer than a
    # call): a worker that stopped mid-call leaves it to the others after this.
    lease: timedelta
    retry_after: timedelta  # after no clear answer (5xx, timeout, unreachable)
    refused_retry_after: timedelta  # after the provider's refusal


@dataclass(frozen=True, slots=True, kw_only=True)
class ForwardEvidenceReport:
    forwarded: int = 0  # disputes whose evidence the provider now holds in full
    refused: int = 0  # the provider would not take it (past review, withdrawn, unknown)
    unanswered: int = 0  # no clear answer: the round stopped, sent again later
    gateway_unavailable: bool = False  # the round stopped (circuit open, bulkhead full)
    # The refused and unanswered disputes, for the logs (an operator looks each one up).
    not_taken: tuple[UUID, ...] = field(default=(), compare=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class ForwardDisputeEvidence:
    """Bring the provider's evidence up to the wallet's, for every dispute OPEN or UNDER_REVIEW
    whose filing has answered and which holds more texts than the provider confirmed.

    Rules:
    - The provider is sent every text the dispute holds, in order, and adds those it lacks
      (what it holds is always the first of them: evidence is only appended here, and a
      filing carries what the dispute held then); a repeat adds nothing. So a resend after
      no answer, two workers sending at once, or a text added here meanwhile never leaves
      the two apart: the count it confirmed is recorded (never lowered), and a dispute that
      gained texts meanwhile is due again at once.
    - No lock or connection is held while the provider answers: the dispute is claimed
      with a lease (other workers skip it until the lease ends), the provider asked, and the
      answer recorded in a second short statement.
    - Refused (the dispute went past review there, was withdrawn, or is not one it has):
      asked again after `refused_retry_after` (its update usually moves it on here first,
      and the dispute then leaves the work). No clear answer: asked again after
      `retry_after`, and the round stops there (every failed call counts against the
      circuit breaker that guards payments). A circuit that refuses calls stops the round.
    """

    book: DisputeBook
    gateway: PaymentGateway
    tx: TransactionManager
    clock: Clock

    async def execute(self, request: ForwardEvidenceRequest) -> ForwardEvidenceReport:
        forwarded = refused = 0
        not_taken: list[UUID] = []
        for _ in range(request.batch):
            try:
                async with self.gateway.admission():
                    now = self.clock.now()
                    async with rolling_back(self.tx):
                        dispute = await self.book.claim_evidence_to_forward(
                            due_by=now, lease_until=now + request.lease
                        )
                        await self.tx.commit()
                    if dispute is None:
                        break
                    status = await self.gateway.forward_evidence(
                        dispute.id, dispute.evidence, Deadline.after(request.timeout_s)
                    )
            except GatewayUnavailable:
                return ForwardEvidenceReport(
                    forwarded=forwarded,
                    refused=refused,
                    gateway_unavailable=True,
                    not_taken=tuple(not_taken),
                )
            held = len(dispute.evidence) if status is EvidenceStatus.HELD else 0
            now = self.clock.now()
            next_at = {
                EvidenceStatus.HELD: None,
                EvidenceStatus.REFUSED: now + request.refused_retry_after,
            }.get(status, now + request.retry_after)
            async with rolling_back(self.tx):
                await self.book.record_forwarding(
                    dispute.id, evidence_held=held, next_at=next_at, at=now
                )
                await self.tx.commit()
            if status is EvidenceStatus.HELD:
                forwarded += 1
                continue
            not_taken.append(dispute.id)
            if status is EvidenceStatus.REFUSED:
                refused += 1
                continue
            # The provider is failing or slow: the next call would most likely fail too,
            # and each failure counts against the breaker that guards payments.
            return ForwardEvidenceReport(
                forwarded=forwarded, refused=refused, unanswered=1, not_taken=tuple(not_taken)
            )
        return ForwardEvidenceReport(
            forwarded=forwarded, refused=refused, not_taken=tuple(not_taken)
        )
