"""Reserve money now, to capture or release later."""

from __future__ import annotations

from dataclasses import dataclass

from wallet_domain.errors import InsufficientFunds, WalletNotFound
from wallet_domain.model.events import hold_event
from wallet_domain.model.external_reference import optional_reference
from wallet_domain.model.hold import hold_expiry, new_hold
from wallet_domain.model.idempotency import (
    Reply,
    fingerprint,
    new_claim,
    reply_to_existing,
    validate_idempotency_key,
)
from wallet_domain.model.transaction import new_hold_entry
from wallet_domain.model.wallet import validate_user_id
from wallet_domain.model.wallet_version import WalletCondition
from wallet_domain.money import Money, ensure_supported
from wallet_domain.ports.clock import Clock
from wallet_domain.ports.hold_book import HoldBook, HoldOpenOutcome
from wallet_domain.ports.id_generator import IdGenerator
from wallet_domain.ports.response_encoder import ResponseEncoder
from wallet_domain.ports.transaction_manager import TransactionManager
from wallet_domain.unit_of_work import rolling_back
from wallet_domain.wallet_precondition import WalletPrecondition


@dataclass(frozen=True, slots=True, kw_only=True)
class CreateHoldRequest:
    user_id: str
    idempotency_key: str | None
    amount: int
    currency: str
    reference: str | None = None
    expires_in_s: int | None = None
    if_match: WalletCondition | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CreateHold:
    """Hold `amount` of the wallet's balance: it leaves `available` at once and shows as a
    pending debit until the hold is completed, reverted or expires (7 days by default,
    at most 30).

    Rules: the Idempotency-Key is required; an unknown wallet is NOT_FOUND and a balance
    that does not cover the hold is INSUFFICIENT_FUNDS, both leaving nothing behind, the
    key included. The reply is rendered first, so the key is claimed already answered in
    the same write as the debit, hold, ledger row and `hold.created` (one statement on
    PostgreSQL): a replay never holds twice. With `if_match`, a wallet no longer at one of
    its versions is PRECONDITION_FAILED with nothing written, the key included (see
    wallet_precondition).
    """

    book: HoldBook
    tx: TransactionManager
    clock: Clock
    ids: IdGenerator
    encoder: ResponseEncoder
    currencies: frozenset[str]
    precondition: WalletPrecondition

    async def execute(self, request: CreateHoldRequest) -> Reply:
        user_id = validate_user_id(request.user_id)
        key = validate_idempotency_key(request.idempotency_key)
        money = Money(request.amount, ensure_supported(request.currency, self.currencies))
        expires_in = hold_expiry(request.expires_in_s)
        reference = optional_reference(request.reference)
        request_fingerprint = fingerprint(
            "hold",
            {
                "user_id": user_id,
                "amount": money.amount,
                "currency": money.currency,
                "reference": reference,
                "expires_in_s": request.expires_in_s,
            },
        )
        now = self.clock.now()
        hold = new_hold(
            id=self.ids.new_id(),
            user_id=user_id,
            money=money,
            reference=reference,
            expires_in=expires_in,
            at=now,
        )
        entry = new_hold_entry(
            id=self.ids.new_id(),
            user_id=user_id,
            money=money,
            hold_id=hold.id,
            reference=reference,
            at=now,
        )
        response = self.encoder.hold(hold, status_code=201)
        claim = new_claim(
            user_id=user_id, key=key, fingerprint=request_fingerprint, at=now, answer=response
        )
        created = hold_event(hold, event_id=self.ids.new_id(), at=now)
        async with rolling_back(self.tx):
            pinned = await self.precondition.ensure(request.if_match, user_id=user_id, key=key)
            opening = await self.book.open(hold, entry, created, claim)
            if opening.outcome is HoldOpenOutcome.KEY_HELD:
                assert opening.holder is not None  # the port's contract
                await self.tx.rollback()
                return reply_to_existing(opening.holder, request_fingerprint)
            if opening.outcome is HoldOpenOutcome.NO_WALLET:
                raise WalletNotFound(user_id=user_id)
            if opening.outcome is HoldOpenOutcome.NOT_COVERED:
                raise InsufficientFunds(currency=money.currency, amount=money.amount)
            await self.precondition.debited(pinned, money.currency)
            await self.tx.commit()
        return Reply(response)
