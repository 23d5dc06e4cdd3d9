"""Pay a service provider from a wallet, synchronously through the gateway (§4)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final
from uuid import UUID

from wallet_domain.deadline import Deadline
from wallet_domain.errors import DomainError, InsufficientFunds, ProviderNotFound, WalletNotFound
from wallet_domain.model.events import EventType, event_for
from wallet_domain.model.external_reference import MAX_EXTERNAL_REFERENCE, validate_printable
from wallet_domain.model.idempotency import (
    IdempotencyRecord,
    IdempotencyState,
    Reply,
    StoredResponse,
    fingerprint,
    reply_to_existing,
    validate_idempotency_key,
)
from wallet_domain.model.transaction import LedgerEntry, TransactionStatus, new_payment
from wallet_domain.model.wallet import validate_user_id
from wallet_domain.money import Money, ensure_supported
from wallet_domain.payment_outcome import failure_for
from wallet_domain.ports.clock import Clock
from wallet_domain.ports.id_generator import IdGenerator
from wallet_domain.ports.idempotency_store import IdempotencyStore
from wallet_domain.ports.ledger import Ledger
from wallet_domain.ports.outbox import OutboxWriter
from wallet_domain.ports.payment_gateway import ChargeRequest, ChargeStatus, PaymentGateway
from wallet_domain.ports.response_encoder import ResponseEncoder
from wallet_domain.ports.service_providers import ServiceProviders
from wallet_domain.ports.transaction_manager import TransactionManager
from wallet_domain.ports.wallet_balances import WalletBalances
from wallet_domain.ports.wallets import Wallets
from wallet_domain.settlement import PaymentSettlement, status_from_charge, status_from_lookup

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


class Pay:
    """Debit, charge the gateway, settle.

    Rules:
    - Rejected before any side effect, consuming no key: invalid input, unknown or
      inactive provider, unknown wallet, gateway unavailable (circuit open, bulkhead full).
      A key already answered is replayed before anything else is checked.
    - Transaction 1 claims the key, debits (the balance row stays locked until commit,
      so it can never go negative), writes the PENDING payment and `payment.created`.
      Not enough money is a final answer, stored under the key.
    - The gateway is charged with the payment id as its idempotency key.
    - Transaction 2 settles (see PaymentSettlement) and stores the reply under the key.
    - A timeout is not a failure: the gateway is asked what happened; charged means
      APPROVED, no charge means FAILED and refunded, still unknown leaves the payment
      PENDING (funds held) for the recovery worker. Only a definite failure is refunded.
    """

    def __init__(
        self,
        *,
        providers: ServiceProviders,
        wallets: Wallets,
        balances: WalletBalances,
        ledger: Ledger,
        idempotency: IdempotencyStore,
        outbox: OutboxWriter,
        settlement: PaymentSettlement,
        gateway: PaymentGateway,
        tx: TransactionManager,
        clock: Clock,
        ids: IdGenerator,
        encoder: ResponseEncoder,
        currencies: frozenset[str],
    ) -> None:
        self._providers = providers
        self._wallets = wallets
        self._balances = balances
        self._ledger = ledger
        self._idempotency = idempotency
        self._outbox = outbox
        self._settlement = settlement
        self._gateway = gateway
        self._tx = tx
        self._clock = clock
        self._ids = ids
        self._encoder = encoder
        self._currencies = currencies

    async def execute(self, request: PayRequest) -> Reply:
        user_id = validate_user_id(request.user_id)
        key = validate_idempotency_key(request.idempotency_key)
        money = Money(request.amount, ensure_supported(request.currency, self._currencies))
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
        payment = new_payment(
            id=self._ids.new_id(),
            user_id=user_id,
            money=money,
            provider_id=request.provider_id,
            external_reference=reference,
            at=self._clock.now(),
        )
        try:
            existing = await self._idempotency.claim(
                IdempotencyRecord(
                    user_id=user_id,
                    key=key,
                    fingerprint=request_fingerprint,
                    state=IdempotencyState.IN_PROGRESS,
                    created_at=payment.created_at,
                    payment_id=payment.id,
                )
            )
            if existing is not None:
                await self._tx.rollback()
                return reply_to_existing(existing, request_fingerprint)
            # After the claim, so a replay is answered even if the provider was retired since.
            if await self._providers.get_active(request.provider_id) is None:
                raise ProviderNotFound(provider_id=str(request.provider_id))
            async with self._gateway.admission():
                refused = await self._reserve(payment, key)
                if refused is not None:
                    return Reply(refused)
                charge = await self._gateway.charge(
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
        except BaseException:
            await self._tx.rollback()
            raise
        return Reply(await self._finish(payment, key, final, timed_out=timed_out))

    async def _reserve(self, payment: LedgerEntry, key: str) -> StoredResponse | None:
        """Transaction 1. Returns the stored refusal when the balance does not cover it."""
        if await self._balances.debit(payment.user_id, payment.money) is None:
            if await self._wallets.get(payment.user_id) is None:
                raise WalletNotFound(user_id=payment.user_id)
            refusal = self._encoder.failed(
                InsufficientFunds(currency=payment.money.currency, amount=payment.money.amount)
            )
            await self._idempotency.complete(payment.user_id, key, refusal, payment.created_at)
            await self._tx.commit()
            return refusal
        await self._ledger.append(payment)
        await self._outbox.add(
            event_for(
                EventType.PAYMENT_CREATED,
                payment,
                event_id=self._ids.new_id(),
                at=payment.created_at,
            )
        )
        await self._tx.commit()
        return None

    async def _decide(
        self, payment_id: UUID, charge: ChargeStatus, deadline: Deadline
    ) -> tuple[TransactionStatus | None, bool]:
        """The final status (None: still unknown) and whether it came from a lookup."""
        final = status_from_charge(charge)
        if final is not None:
            return final, False
        return status_from_lookup(await self._gateway.lookup(payment_id, deadline)), True

    async def _finish(
        self, payment: LedgerEntry, key: str, final: TransactionStatus | None, *, timed_out: bool
    ) -> StoredResponse:
        """Transaction 2: settle (unless unknown) and store the reply with it."""
        try:
            current = payment
            if final is not None:
                settled = await self._settlement.settle(payment, final)
                if settled is None:
                    # The recovery worker settled it first: report what actually happened.
                    current = await self._ledger.get(payment.user_id, payment.id) or payment
                else:
                    current = settled.payment
            error: DomainError | None = failure_for(current, timed_out=timed_out)
            response = (
                self._encoder.created(current) if error is None else self._encoder.failed(error)
            )
            await self._idempotency.complete(payment.user_id, key, response, self._clock.now())
            await self._tx.commit()
        except BaseException:
            await self._tx.rollback()
            raise
        return response
