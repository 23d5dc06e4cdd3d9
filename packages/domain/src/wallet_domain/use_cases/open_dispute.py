"""Contest an approved payment: open a dispute and file it with the provider."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from wallet_domain.deadline import Deadline
from wallet_domain.dispute_filing import answer_filing, filing_of
from wallet_domain.errors import (
    GatewayTimeout,
    GatewayUnavailable,
    InvalidState,
    PaymentNotFound,
)
from wallet_domain.model.dispute import (
    Dispute,
    new_dispute,
    validate_evidence,
    validate_reason,
)
from wallet_domain.model.events import dispute_event
from wallet_domain.model.idempotency import (
    IdempotencyRecord,
    IdempotencyState,
    Reply,
    StoredResponse,
    fingerprint,
    reply_to_existing,
    validate_idempotency_key,
)
from wallet_domain.model.transaction import TransactionStatus, TransactionType
from wallet_domain.model.wallet import validate_user_id
from wallet_domain.ports.clock import Clock
from wallet_domain.ports.dispute_book import DisputeBook
from wallet_domain.ports.id_generator import IdGenerator
from wallet_domain.ports.idempotency_store import IdempotencyStore
from wallet_domain.ports.ledger import Ledger
from wallet_domain.ports.payment_gateway import FilingStatus, PaymentGateway
from wallet_domain.ports.provider_payments import ProviderPayments
from wallet_domain.ports.response_encoder import ResponseEncoder
from wallet_domain.ports.transaction_manager import TransactionManager
from wallet_domain.unit_of_work import rolling_back


@dataclass(frozen=True, slots=True, kw_only=True)
class OpenDisputeRequest:
    user_id: str
    payment_id: UUID
    idempotency_key: str | None
    reason: str
    evidence: list[str] | None
    deadline: Deadline


@dataclass(frozen=True, slots=True, kw_only=True)
class OpenDispute:
    """Open a dispute on one of the wallet's payments and file it with the provider.

    Rules:
    - The Idempotency-Key is required; a replay answers the first reply byte for byte.
    - Refused before anything is written (the key left unused): invalid input, a payment
      that is not the wallet's (NOT_FOUND), one that is not APPROVED, was given back in
      full (provider refunds, a won dispute) or already has a dispute that is not final
      (INVALID_STATE), the gateway refusing calls at once (GATEWAY_UNAVAILABLE).
    - Transaction 1 claims the key and writes the OPEN dispute with `dispute.opened`
      (the database allows one open dispute per payment, whatever races).
    - The provider is then asked to open it, with the dispute id as its idempotency key,
      through the same client as charges (retries, breaker, bulkhead, deadline).
    - Transaction 2: filed, the reply is 201 with the dispute. Refused (the provider's own
      refusal, or no attempt ever connected): the dispute is CANCELED so the payment can
      be disputed again, and GATEWAY_ERROR is the stored reply. Never sent (the deadline
      was spent first): CANCELED, GATEWAY_TIMEOUT stored.
    - No answer in time: GATEWAY_TIMEOUT, not stored. The provider may have the dispute
      and go on to decide it, so it stays OPEN and carries its key (in progress) until
      the recovery worker settles it with the provider (asking, and filing it again if
      need be, idempotent on the dispute id) and stores the final reply
      (`SettleStrandedFilings`); so does a dispute whose request never got
      to transaction 2 (the process stopped).
    """

    ledger: Ledger
    payments: ProviderPayments
    book: DisputeBook
    idempotency: IdempotencyStore
    gateway: PaymentGateway
    tx: TransactionManager
    clock: Clock
    ids: IdGenerator
    encoder: ResponseEncoder

    async def execute(self, request: OpenDisputeRequest) -> Reply:
        user_id = validate_user_id(request.user_id)
        key = validate_idempotency_key(request.idempotency_key)
        reason = validate_reason(request.reason)
        evidence = validate_evidence(request.evidence, required=False)
        request_fingerprint = fingerprint(
            "dispute",
            {
                "user_id": user_id,
                "payment_id": str(request.payment_id),
                "reason": reason,
                "evidence": list(evidence),
            },
        )
        now = self.clock.now()
        claim = IdempotencyRecord(
            user_id=user_id,
            key=key,
            fingerprint=request_fingerprint,
            state=IdempotencyState.IN_PROGRESS,
            created_at=now,
        )
        opened = False
        try:
            async with self.gateway.admission():
                opened = True
                existing = await self.idempotency.claim(claim)
                if existing is not None:
                    await self.tx.rollback()
                    return reply_to_existing(existing, request_fingerprint)
                payment = await self.ledger.get(user_id, request.payment_id)
                if payment is None or payment.type is not TransactionType.PAYMENT:
                    raise PaymentNotFound(payment_id=str(request.payment_id))
                if payment.status is not TransactionStatus.APPROVED:
                    raise InvalidState(
                        f"only an APPROVED payment can be disputed; it is {payment.status.value}",
                        status=payment.status.value,
                    )
                given = await self.payments.lock(payment.id)
                if given is not None and given.remaining == 0:
                    raise InvalidState(
                        "the payment was given back in full (refunds or a won dispute):"
                        " nothing is left to dispute",
                        status=payment.status.value,
                    )
                dispute = new_dispute(
                    id=self.ids.new_id(),
                    payment_id=payment.id,
                    user_id=user_id,
                    money=payment.money,
                    reason=reason,
                    evidence=evidence,
                    at=now,
                )
                await self.book.open(
                    dispute,
                    dispute_event(dispute, event_id=self.ids.new_id(), at=now),
                    filing_key=key,
                )
                await self.tx.commit()
                filing = await self.gateway.file_dispute(filing_of(dispute), request.deadline)
        except GatewayUnavailable:
            await self.tx.rollback()
            if opened:
                raise
            # Refused before any write: a key already answered is still replayed.
            stored = await self.idempotency.get(user_id, key)
            if stored is None:
                raise
            return reply_to_existing(stored, request_fingerprint)
        except BaseException:
            await self.tx.rollback()
            raise
        if filing is FilingStatus.UNKNOWN:
            # The provider may have it and go on to decide it: cancelling now could lose
            # a won chargeback. It stays OPEN, its key in progress, until the recovery
            # worker files it again and stores the final reply (SettleStrandedFilings).
            raise GatewayTimeout(
                "the provider did not answer in time; the dispute stays OPEN and is filed"
                " again shortly, and this key then answers with the outcome",
                dispute_id=str(dispute.id),
            )
        return Reply(await self._finish(dispute, key, filing))

    async def _finish(self, dispute: Dispute, key: str, filing: FilingStatus) -> StoredResponse:
        """Transaction 2: the reply for what the provider said, stored under the key."""
        async with rolling_back(self.tx):
            awaiting = await self.book.lock_filing(dispute.id)
            if awaiting is None:
                # This request ran past the recovery window and the recovery worker
                # answered the filing with the provider first: its reply stands, and the
                # dispute is left as the worker settled it (this call's own answer is older).
                await self.tx.rollback()
                stored = await self.idempotency.get(dispute.user_id, key)
                if stored is None or stored.response is None:
                    raise RuntimeError(f"dispute {dispute.id} answered without a stored reply")
                return stored.response
            response = await answer_filing(
                book=self.book,
                replies=self.idempotency,
                encoder=self.encoder,
                ids=self.ids,
                current=awaiting.dispute,
                key=key,
                filing=filing,
                at=self.clock.now(),
                # This request's filing was the provider's first (the recovery worker files
                # only past the request's deadline): it holds what that filing carried.
                evidence_sent=len(dispute.evidence),
            )
            await self.tx.commit()
        return response
