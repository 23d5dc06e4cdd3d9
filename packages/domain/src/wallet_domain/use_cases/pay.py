"""Pay a service provider from a wallet, synchronously through the gateway."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final
from uuid import UUID

from wallet_domain.deadline import Deadline
from wallet_domain.errors import (
    DomainError,
    GatewayUnavailable,
    InsufficientFunds,
    ProviderNotFound,
    WalletNotFound,
)
from wallet_domain.model.events import EventType, event_for
from wallet_domain.model.external_reference import MAX_EXTERNAL_REFERENCE, validate_printable
from wallet_domain.model.idempotency import (
    IdempotencyRecord,
    IdempotencyState,
    Reply,
    StoredResponse,
    fingerprint,
    new_claim,
    reply_to_existing,
    validate_idempotency_key,
)
from wallet_domain.model.transaction import LedgerEntry, TransactionStatus, new_payment
from wallet_domain.model.wallet import validate_user_id
from wallet_domain.model.wallet_version import WalletCondition
from wallet_domain.money import Money, ensure_supported
from wallet_domain.ports.answered_keys import AnsweredKeys
from wallet_domain.ports.clock import Clock
from wallet_domain.ports.id_generator import IdGenerator
from wallet_domain.ports.idempotency_store import IdempotencyReplies
from wallet_domain.ports.ledger import LedgerReads
from wallet_domain.ports.payment_book import OpenOutcome, PaymentBook
from wallet_domain.ports.payment_gateway import ChargeRequest, ChargeStatus, PaymentGateway
from wallet_domain.ports.response_encoder import ResponseEncoder
from wallet_domain.ports.service_providers import ServiceProviders
from wallet_domain.ports.transaction_manager import TransactionManager
from wallet_domain.settlement import PaymentSettlement, status_from_charge, status_from_lookup
from wallet_domain.unit_of_work import rolling_back
from wallet_domain.wallet_precondition import WritePrecondition

# Share of the remaining deadline the charge leaves for the outcome lookup after a timeout,
# so retries cannot spend the time the lookup needs to avoid a needless PENDING.
LOOKUP_SHARE: Final = 0.3


@dataclass(frozen=True, slots=True, kw_only=True)
class PayRequest:
    user_id: str
    idempotency_key: str | None
    provider_id: UUID
    external_reference: str
    amount: int
    currency: str
    deadline: Deadline
    if_match: WalletCondition | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Pay:
    """Debit, charge the gateway, settle.

    Rules:
    - Rejected before any side effect, consuming no key: invalid input, unknown or
      inactive provider, unknown wallet, gateway unavailable (circuit open, bulkhead full).
      A key already answered is replayed before anything else is checked: by one key
      lookup when `answered` has it noted (see AnsweredKeys), else by transaction 1's
      claim, which finds it.
    - Transaction 1 claims the key, debits (the balance row stays locked until commit,
      so it can never go negative), writes the PENDING payment and `payment.created`.
      Not enough money is a final answer, stored under the key. With `if_match`, a wallet
      no longer at one of its versions is PRECONDITION_FAILED with nothing written, the
      key included (see wallet_precondition).
    - The gateway is charged with the payment id as its idempotency key.
    - Transaction 2 settles (see PaymentSettlement) and stores the reply under the key.
    - A timeout is not a failure: the gateway is asked what happened; charged means
      APPROVED, no charge means FAILED and refunded, still unknown leaves the payment
      PENDING (funds held) for the recovery worker. Only a definite failure is refunded.

    Its ports need no transaction spanning statements unless `if_match` is given (the
    wallet's lock must last until the opening write commits): wired with the
    `Unconditional` precondition on ports that each run statements of their own, one Pay
    serves every request without `if_match` (see the API's ioc).
    """

    providers: ServiceProviders
    ledger: LedgerReads
    idempotency: IdempotencyReplies
    book: PaymentBook
    settlement: PaymentSettlement
    gateway: PaymentGateway
    tx: TransactionManager
    clock: Clock
    ids: IdGenerator
    encoder: ResponseEncoder
    currencies: frozenset[str]
    precondition: WritePrecondition
    answered: AnsweredKeys

    async def execute(self, request: PayRequest) -> Reply:
        user_id = validate_user_id(request.user_id)
        key = validate_idempotency_key(request.idempotency_key)
        money = Money(request.amount, ensure_supported(request.currency, self.currencies))
        reference = validate_printable(
            request.external_reference,
            field="external_reference",
            max_length=MAX_EXTERNAL_REFERENCE,
        )
        request_fingerprint = fingerprint(
            "payment",
            {
                "user_id": user_id,
                "provider_id": str(request.provider_id),
                "external_reference": reference,
                "amount": money.amount,
                "currency": money.currency,
            },
        )
        if self.answered.noted(user_id, key):
            # Most likely a replay: answered without building the write. A key purged
            # since reads as absent, and the request then runs as a new one.
            existing = await self.idempotency.get(user_id, key)
            if existing is not None:
                return reply_to_existing(existing, request_fingerprint)
            self.answered.forget(user_id, key)
        payment = new_payment(
            id=self.ids.new_id(),
            user_id=user_id,
            money=money,
            provider_id=request.provider_id,
            external_reference=reference,
            at=self.clock.now(),
        )
        claim = new_claim(
            user_id=user_id,
            key=key,
            fingerprint=request_fingerprint,
            at=payment.created_at,
            payment_id=payment.id,
        )
        opened = False
        try:
            if await self.providers.get_active(request.provider_id) is None:
                # A replay is answered even if the provider was retired since.
                return await self._replay_or_refuse(
                    claim, ProviderNotFound(provider_id=str(request.provider_id))
                )
            # Not enough money is an answer stored with the claim, decided in the same write.
            refusal = self.encoder.failed(
                InsufficientFunds(currency=money.currency, amount=money.amount)
            )
            async with self.gateway.admission():
                opened = True
                pinned = await self.precondition.ensure(request.if_match, user_id=user_id, key=key)
                opening = await self.book.open(
                    payment,
                    claim,
                    event_for(
                        EventType.PAYMENT_CREATED,
                        payment,
                        event_id=self.ids.new_id(),
                        at=payment.created_at,
                    ),
                    refusal,
                )
                if pinned is not None and opening.outcome is OpenOutcome.DEBITED:
                    await self.precondition.debited(pinned, money.currency)
                await self.tx.commit()
                match opening.outcome:
                    case OpenOutcome.HELD:
                        assert opening.holder is not None
                        return self._replay(opening.holder, request_fingerprint)
                    case OpenOutcome.NO_WALLET:
                        raise WalletNotFound(user_id=user_id)
                    case OpenOutcome.REFUSED:
                        self.answered.note(user_id, key)
                        return Reply(refusal)
                charge = await self.gateway.charge(
                    ChargeRequest(
                        payment_id=payment.id,
                        user_id=user_id,
                        money=money,
                        provider_id=request.provider_id,
                        external_reference=reference,
                    ),
                    request.deadline.keeping(LOOKUP_SHARE),
                )
                final, timed_out = await self._decide(payment.id, charge, request.deadline)
        except GatewayUnavailable as refused:
            await self.tx.rollback()
            if opened:
                raise
            # Refused before any write: a key already answered is still replayed.
            return await self._replay_or_refuse(claim, refused)
        except BaseException:
            await self.tx.rollback()
            raise
        return Reply(await self._finish(payment, key, final, timed_out=timed_out))

    async def _replay_or_refuse(self, claim: IdempotencyRecord, refusal: DomainError) -> Reply:
        """Replay the key's stored reply if it has one, else raise `refusal`: a refusal
        writes nothing, so it is only a read (one that does not wait for a claimer still
        in flight: that request answers for itself, this one is refused)."""
        existing = await self.idempotency.get(claim.user_id, claim.key)
        if existing is None:
            raise refusal
        return self._replay(existing, claim.fingerprint)

    def _replay(self, holder: IdempotencyRecord, request_fingerprint: str) -> Reply:
        """`reply_to_existing`, the key noted once it holds a reply, so that the next
        request under it is answered by one lookup."""
        if holder.state is IdempotencyState.COMPLETED:
            self.answered.note(holder.user_id, holder.key)
        return reply_to_existing(holder, request_fingerprint)

    async def _decide(
        self, payment_id: UUID, charge: ChargeStatus, deadline: Deadline
    ) -> tuple[TransactionStatus | None, bool]:
        """The final status (None: still unknown) and whether the clock decided it: a
        lookup after a timeout, or a deadline spent before any attempt (a 504, not a 502:
        the gateway never failed, there was no time to ask it)."""
        final = status_from_charge(charge)
        if final is not None:
            return final, charge is ChargeStatus.NOT_SENT
        return status_from_lookup(await self.gateway.lookup(payment_id, deadline)), True

    async def _finish(
        self, payment: LedgerEntry, key: str, final: TransactionStatus | None, *, timed_out: bool
    ) -> StoredResponse:
        """Transaction 2: settle (unless unknown) with the reply stored in the same write."""
        async with rolling_back(self.tx):
            settled = None
            if final is not None:
                settled = await self.settlement.settle(payment, final, timed_out=timed_out)
            if settled is not None:
                response = settled.reply
            else:
                # Still unknown, or the recovery worker settled it first: report what is.
                current = payment
                if final is not None:
                    current = await self.ledger.get(payment.user_id, payment.id) or payment
                response = self.settlement.reply_for(current, timed_out=timed_out)
                # A reply the recovery worker stored first stands: replays must match it.
                response = await self.idempotency.complete(
                    payment.user_id, key, response, self.clock.now()
                )
            await self.tx.commit()
        self.answered.note(payment.user_id, key)
        return response
