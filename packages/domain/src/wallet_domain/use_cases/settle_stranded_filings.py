"""Answer the disputes whose filing lost its request, so their keys get a final reply."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from uuid import UUID

from wallet_domain.deadline import Deadline
from wallet_domain.dispute_filing import answer_filing
from wallet_domain.errors import GatewayUnavailable
from wallet_domain.model.dispute import Dispute, DisputeStatus
from wallet_domain.ports.clock import Clock
from wallet_domain.ports.dispute_book import DisputeBook
from wallet_domain.ports.id_generator import IdGenerator
from wallet_domain.ports.idempotency_store import IdempotencyReplies
from wallet_domain.ports.payment_gateway import DisputeFiling, FilingStatus, PaymentGateway
from wallet_domain.ports.response_encoder import ResponseEncoder
from wallet_domain.ports.transaction_manager import TransactionManager
from wallet_domain.unit_of_work import rolling_back


@dataclass(frozen=True, slots=True, kw_only=True)
class SettleStrandedFilingsRequest:
    older_than: timedelta  # at least twice the request deadline: no request still runs
    batch: int
    lookup_timeout_s: float  # for each filing sent again


@dataclass(frozen=True, slots=True, kw_only=True)
class StrandedFilingsReport:
    answered: int = 0  # their key holds its final reply now
    still_unknown: int = 0  # the provider did not answer: asked again next round
    gateway_unavailable: bool = False  # the round stopped (circuit open, bulkhead full)


@dataclass(frozen=True, slots=True, kw_only=True)
class SettleStrandedFilings:
    """Finish the filing of every dispute opened more than `older_than` ago whose reply
    was never stored (the process stopped between writing the dispute and storing the
    reply; the provider may or may not have received the filing).

    Rules: the filing is sent to the provider again, with the dispute id as its
    idempotency key as the first time, so a provider that has it answers "filed" without
    opening it twice. Then, as the request's own second transaction would
    (`answer_filing`): filed, or moved on by the provider's updates, the key answers 201
    with the dispute; refused, the dispute is CANCELED and the key answers GATEWAY_ERROR.
    No answer in time leaves the dispute OPEN and its key in progress for the next round:
    cancelling it then could drop a dispute the provider goes on to decide. Each dispute
    is claimed with a row lock other workers skip, and held while it is asked about (one
    no longer OPEN, moved on by the provider or canceled by its owner, is answered with
    its state and not sent again); a
    request still finishing its own filing locks it first, and a key already answered
    keeps its reply. One transaction per dispute. A circuit that refuses calls stops the
    round.
    """

    book: DisputeBook
    replies: IdempotencyReplies
    gateway: PaymentGateway
    tx: TransactionManager
    clock: Clock
    ids: IdGenerator
    encoder: ResponseEncoder

    async def execute(self, request: SettleStrandedFilingsRequest) -> StrandedFilingsReport:
        opened_before = self.clock.now() - request.older_than
        asked: set[UUID] = set()  # this round's, so an unanswered one is not asked twice
        answered = unknown = 0
        for _ in range(request.batch):
            async with rolling_back(self.tx):
                claimed = await self.book.claim_stranded_filings(
                    opened_before, limit=1, skip=frozenset(asked)
                )
                if not claimed:
                    await self.tx.rollback()
                    break
                [found] = claimed
                asked.add(found.dispute.id)
                try:
                    filing = await self._file_again(found.dispute, request.lookup_timeout_s)
                except GatewayUnavailable:
                    await self.tx.rollback()
                    return StrandedFilingsReport(
                        answered=answered, still_unknown=unknown, gateway_unavailable=True
                    )
                if filing is FilingStatus.UNKNOWN:
                    await self.tx.rollback()
                    unknown += 1
                    continue
                await answer_filing(
                    book=self.book,
                    replies=self.replies,
                    encoder=self.encoder,
                    ids=self.ids,
                    current=found.dispute,
                    key=found.key,
                    filing=filing,
                    at=self.clock.now(),
                )
                await self.tx.commit()
                answered += 1
        return StrandedFilingsReport(answered=answered, still_unknown=unknown)

    async def _file_again(self, dispute: Dispute, timeout_s: float) -> FilingStatus:
        if dispute.status is not DisputeStatus.OPEN:
            return FilingStatus.FILED  # moved on by the provider, or canceled: not re-sent
        async with self.gateway.admission():
            return await self.gateway.file_dispute(
                DisputeFiling(
                    dispute_id=dispute.id,
                    payment_id=dispute.payment_id,
                    money=dispute.money,
                    reason=dispute.reason,
                    evidence=dispute.evidence,
                ),
                Deadline.after(timeout_s),
            )
