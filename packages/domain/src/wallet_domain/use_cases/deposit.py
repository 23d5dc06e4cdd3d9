"""Fund a wallet."""

from __future__ import annotations

from dataclasses import dataclass

from wallet_domain.errors import WalletNotFound
from wallet_domain.idempotent_action import run_once
from wallet_domain.model.events import EventType, event_for
from wallet_domain.model.external_reference import optional_reference
from wallet_domain.model.idempotency import (
    Reply,
    StoredResponse,
    fingerprint,
    validate_idempotency_key,
)
from wallet_domain.model.transaction import new_deposit
from wallet_domain.model.wallet import validate_user_id
from wallet_domain.model.wallet_version import WalletCondition
from wallet_domain.money import Money, ensure_supported
from wallet_domain.ports.clock import Clock
from wallet_domain.ports.id_generator import IdGenerator
from wallet_domain.ports.idempotency_store import IdempotencyStore
from wallet_domain.ports.ledger import Ledger
from wallet_domain.ports.outbox import OutboxWriter
from wallet_domain.ports.pending_deposits import PendingDeposits
from wallet_domain.ports.response_encoder import ResponseEncoder
from wallet_domain.ports.transaction_manager import TransactionManager
from wallet_domain.ports.wallet_balances import WalletBalances
from wallet_domain.ports.wallets import Wallets
from wallet_domain.wallet_precondition import WalletPrecondition


@dataclass(frozen=True, slots=True, kw_only=True)
class DepositRequest:
    user_id: str
    idempotency_key: str | None
    amount: int
    currency: str
    reference: str | None = None
    two_phase: bool = False
    if_match: WalletCondition | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Deposit:
    """Credit a wallet with a COMPLETED DEPOSIT and publish `deposit.completed`, or, two-phase,
    announce a PENDING DEPOSIT (`deposit.pending`): it shows as the balance's pending
    credit and is not spendable until completed.

    Rules: the amount is positive minor units of a supported currency; the wallet must
    exist (checked before the key is claimed, so a 404 does not consume it); the credit,
    ledger row, event and stored reply commit in one transaction, so a replay of the
    same key returns the first reply and never credits twice. With `if_match`, a wallet no
    longer at one of its versions is PRECONDITION_FAILED with nothing written, the key
    included (see wallet_precondition).
    """

    wallets: Wallets
    balances: WalletBalances
    ledger: Ledger
    pending: PendingDeposits
    idempotency: IdempotencyStore
    outbox: OutboxWriter
    tx: TransactionManager
    clock: Clock
    ids: IdGenerator
    encoder: ResponseEncoder
    currencies: frozenset[str]
    precondition: WalletPrecondition

    async def execute(self, request: DepositRequest) -> Reply:
        user_id = validate_user_id(request.user_id)
        key = validate_idempotency_key(request.idempotency_key)
        money = Money(request.amount, ensure_supported(request.currency, self.currencies))
        reference = optional_reference(request.reference)
        fields: dict[str, object] = {
            "user_id": user_id,
            "amount": money.amount,
            "currency": money.currency,
            "reference": reference,
        }
        if request.two_phase:  # one-phase fingerprints stay what they were
            fields["two_phase"] = True
        if await self.wallets.get(user_id) is None:
            raise WalletNotFound(user_id=user_id)
        now = self.clock.now()

        async def credit() -> StoredResponse:
            # After the key is claimed, in the same unit of work: a mismatch rolls the
            # claim back (the key stays free), and a same-key copy without If-Match takes
            # the key and the wallet in this same order (no deadlock between the two).
            await self.precondition.ensure_after_claim(request.if_match, user_id=user_id)
            entry = new_deposit(
                id=self.ids.new_id(),
                user_id=user_id,
                money=money,
                reference=reference,
                at=now,
                pending=request.two_phase,
            )
            if request.two_phase:
                await self.pending.announce(user_id, money)
            else:
                await self.balances.credit(user_id, money)
            await self.ledger.append(entry)
            event_type = (
                EventType.DEPOSIT_PENDING if request.two_phase else EventType.DEPOSIT_COMPLETED
            )
            await self.outbox.add(event_for(event_type, entry, event_id=self.ids.new_id(), at=now))
            return self.encoder.created(entry)

        return await run_once(
            idempotency=self.idempotency,
            tx=self.tx,
            user_id=user_id,
            key=key,
            request_fingerprint=fingerprint("deposit", fields),
            now=now,
            action=credit,
        )
