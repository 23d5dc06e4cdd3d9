"""Answer the disputes whose filing lost its request, so their keys get a final reply."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from wallet_domain.dispute_filing import answer_filing
from wallet_domain.ports.clock import Clock
from wallet_domain.ports.dispute_book import DisputeBook
from wallet_domain.ports.id_generator import IdGenerator
from wallet_domain.ports.idempotency_store import IdempotencyReplies
from wallet_domain.ports.payment_gateway import FilingStatus
from wallet_domain.ports.response_encoder import ResponseEncoder
from wallet_domain.ports.transaction_manager import TransactionManager
from wallet_domain.unit_of_work import rolling_back


@dataclass(frozen=True, slots=True, kw_only=True)
class SettleStrandedFilingsRequest:
    older_than: timedelta  # at least twice the request deadline: no request still runs
    batch: int


@dataclass(frozen=True, slots=True, kw_only=True)
class SettleStrandedFilings:
    """Give every dispute opened more than `older_than` ago whose filing reply was never
    stored (the process stopped between filing it and storing the reply) the reply of a
    filing the provider never confirmed: the dispute is CANCELED and its key answers
    GATEWAY_TIMEOUT, or, if the provider's updates moved it on meanwhile, 201 with the
    dispute. Returns how many.

    Rules: the same reply and the same write as the request's own second transaction
    (`answer_filing`). Any number of workers may run: each claims its batch with the rows
    locked, skipping those another holds; a request still finishing its own filing locks
    the dispute first, and a key already answered keeps its reply. One batch is one
    transaction.
    """

    book: DisputeBook
    replies: IdempotencyReplies
    tx: TransactionManager
    clock: Clock
    ids: IdGenerator
    encoder: ResponseEncoder

    async def execute(self, request: SettleStrandedFilingsRequest) -> int:
        now = self.clock.now()
        async with rolling_back(self.tx):
            stranded = await self.book.claim_stranded_filings(
                now - request.older_than, limit=request.batch
            )
            for found in stranded:
                await answer_filing(
                    book=self.book,
                    replies=self.replies,
                    encoder=self.encoder,
                    ids=self.ids,
                    current=found.dispute,
                    key=found.key,
                    filing=FilingStatus.UNKNOWN,
                    at=now,
                )
            await self.tx.commit()
        return len(stranded)
