"""Finish the disputes whose filing has no stored reply, so their keys get a final one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from wallet_domain.deadline import Deadline
from wallet_domain.dispute_filing import answer_filing, filing_of
from wallet_domain.errors import GatewayUnavailable
from wallet_domain.model.dispute import DisputeStatus
from wallet_domain.model.doubling_delay import doubling_delay
from wallet_domain.ports.clock import Clock
from wallet_domain.ports.dispute_book import DisputeBook, StrandedFiling
from wallet_domain.ports.id_generator import IdGenerator
from wallet_domain.ports.idempotency_store import IdempotencyReplies
from wallet_domain.ports.payment_gateway import FilingStatus, PaymentGateway
from wallet_domain.ports.response_encoder import ResponseEncoder
from wallet_domain.ports.transaction_manager import TransactionManager
from wallet_domain.unit_of_work import rolling_back


@dataclass(frozen=True, slots=True, kw_only=True)
class SettleStrandedFilingsRequest:
    older_than: timedelta  # at least twice the request deadline: no request still runs
    batch: int
    lookup_timeout_s: float  # for each call to the provider
    recheck_base: timedelta  # the first delay before asking again about an unanswered one
    recheck_max: timedelta  # the longest delay (it doubles up to this)
    # Rounds of filing again without an answer, after which a provider that still says it
    # has no such dispute is taken at its word: the dispute is CANCELED (502).
    give_up_after: int = 5


@dataclass(frozen=True, slots=True, kw_only=True)
class StrandedFilingsReport:
    answered: int = 0  # their key holds its final reply now
    still_unknown: int = 0  # the provider did not answer (the round stopped): asked again later
    gateway_unavailable: bool = False  # the round stopped (circuit open, bulkhead full)


@dataclass(frozen=True, slots=True, kw_only=True)
class SettleStrandedFilings:
    """Finish the filing of every dispute opened more than `older_than` ago whose reply
    was never stored: the provider did not answer in time, or the process stopped between
    writing the dispute and storing the reply (the provider may or may not have it).

    Rules:
    - A dispute no longer OPEN (moved on by the provider's updates, or canceled by its
      owner) is answered 201 with its state; the provider is not called.
    - Otherwise the provider is asked whether it has the dispute. It has: 201 with the
      dispute. It has not, or the lookup failed (a provider may not offer one): the
      dispute is filed now (the same idempotency key, the dispute id): 201 if filed; the
      dispute CANCELED and GATEWAY_ERROR only if the provider said it has not got it and
      the filing failed too (its own refusal, or no attempt connected). A dispute is never
      canceled while the provider may have it: it could still rule WON.
    - No answer (either call; a 5xx is no answer, as the provider may have recorded it):
      the dispute stays OPEN, its key in progress, and is asked about again after a delay
      doubling from `recheck_base` up to `recheck_max`; those never asked come first, so
      filings the provider never answers cannot keep the worker from younger ones. The
      round stops there: the provider is failing or slow, and every failed call counts
      against the circuit breaker that guards payments. After `give_up_after` such
      rounds, a provider whose lookup still says it has no such dispute is taken at its
      word: CANCELED and GATEWAY_ERROR, with no filing sent that round.
    - Each dispute is claimed with a row lock other workers skip, held while the provider
      is asked; a request still finishing its own filing locks it first, and a key
      already answered keeps its reply. One transaction per dispute. A circuit that
      refuses calls stops the round.
    """

    book: DisputeBook
    replies: IdempotencyReplies
    gateway: PaymentGateway
    tx: TransactionManager
    clock: Clock
    ids: IdGenerator
    encoder: ResponseEncoder

    async def execute(self, request: SettleStrandedFilingsRequest) -> StrandedFilingsReport:
        started = self.clock.now()
        answered = 0
        for _ in range(request.batch):
            async with rolling_back(self.tx):
                claimed = await self.book.claim_stranded_filings(
                    started - request.older_than, due_by=started, limit=1
                )
                if not claimed:
                    await self.tx.rollback()
                    break
                [found] = claimed
                try:
                    filing = await self._ask(found, request)
                except GatewayUnavailable:
                    await self.tx.rollback()
                    return StrandedFilingsReport(answered=answered, gateway_unavailable=True)
                now = self.clock.now()
                if filing is FilingStatus.UNKNOWN:
                    await self.book.ask_again_at(found.dispute.id, _next_ask(found, now, request))
                    await self.tx.commit()
                    # The provider is failing or slow: asking about the next one now would
                    # most likely fail too, and each failure counts against the breaker
                    # that guards payments. The next round goes on (this one not due yet).
                    return StrandedFilingsReport(answered=answered, still_unknown=1)
                await answer_filing(
                    book=self.book,
                    replies=self.replies,
                    encoder=self.encoder,
                    ids=self.ids,
                    current=found.dispute,
                    key=found.key,
                    filing=filing,
                    at=now,
                )
                await self.tx.commit()
                answered += 1
        return StrandedFilingsReport(answered=answered)

    async def _ask(
        self, stranded: StrandedFiling, request: SettleStrandedFilingsRequest
    ) -> FilingStatus:
        """What the reply should say of the provider's filing: FILED, FAILED (the provider
        has not got it and will not take it), or UNKNOWN (ask again later)."""
        dispute, timeout_s = stranded.dispute, request.lookup_timeout_s
        if dispute.status is not DisputeStatus.OPEN:
            return FilingStatus.FILED  # moved on by the provider, or canceled: not sent again
        async with self.gateway.admission():
            found = await self.gateway.find_dispute(dispute.id, Deadline.after(timeout_s))
            if found is FilingStatus.FILED:
                return FilingStatus.FILED
            if found is FilingStatus.FAILED and stranded.attempts >= request.give_up_after:
                # Filed again that many times without an answer, and the provider still
                # says it has none of them: it never took it. Nothing is sent this time,
                # so nothing can reach it after this answer.
                return FilingStatus.FAILED
            # It has not got it, or could not tell (a lookup it may not even offer): filed
            # again either way, which is idempotent on the dispute id.
            filed = await self.gateway.file_dispute(
                filing_of(dispute),
                Deadline.after(timeout_s),  # its own: the lookup's time is not taken from it
            )
        if filed is FilingStatus.FILED:
            return FilingStatus.FILED
        if found is FilingStatus.FAILED and filed is FilingStatus.FAILED:
            return FilingStatus.FAILED  # it has not got it, and refuses it now
        return FilingStatus.UNKNOWN  # it may have it: ask again later


def _next_ask(
    found: StrandedFiling, now: datetime, request: SettleStrandedFilingsRequest
) -> datetime:
    return now + doubling_delay(request.recheck_base, request.recheck_max, found.attempts + 1)
