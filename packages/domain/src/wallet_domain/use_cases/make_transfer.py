"""Move money from one wallet to another."""

from __future__ import annotations

from dataclasses import dataclass

from wallet_domain.errors import InsufficientFunds, WalletNotFound
from wallet_domain.model.external_reference import optional_reference
from wallet_domain.model.idempotency import (
    Reply,
    fingerprint,
    new_claim,
    reply_to_existing,
    validate_idempotency_key,
)
from wallet_domain.model.transfer import (
    MAX_TRANSFER_REFERENCE,
    Transfer,
    transfer_completed,
    transfer_legs,
)
from wallet_domain.model.wallet import validate_user_id
from wallet_domain.model.wallet_version import WalletCondition
from wallet_domain.money import Money, ensure_supported
from wallet_domain.ports.clock import Clock
from wallet_domain.ports.id_generator import IdGenerator
from wallet_domain.ports.response_encoder import ResponseEncoder
from wallet_domain.ports.transaction_manager import TransactionManager
from wallet_domain.ports.transfer_book import MoveOutcome, TransferBook
from wallet_domain.unit_of_work import rolling_back
from wallet_domain.wallet_precondition import WalletPrecondition


@dataclass(frozen=True, slots=True, kw_only=True)
class MakeTransferRequest:
    from_user_id: str
    to_user_id: str
    idempotency_key: str | None
    amount: int
    currency: str
    reference: str | None = None
    if_match: WalletCondition | None = None  # on the sender's wallet


@dataclass(frozen=True, slots=True, kw_only=True)
class MakeTransfer:
    """Debit the sender, credit the receiver, in one write; publish `transfer.completed`.

    Rules:
    - Rejected before any side effect, consuming no key: invalid input (the same wallet on
      both sides included), an unknown sender or receiver, a credit that would take the
      receiver past the largest amount a wallet may own.
    - The key is the sender's (the same scope as its deposits and payments). A key already
      answered is replayed byte for byte; another request under it is IDEMPOTENCY_KEY_REUSED.
    - Not enough money is a final answer (INSUFFICIENT_FUNDS), stored under the key like a
      payment's: the sender's balance never goes below zero.
    - The debit, the credit (creating the receiver's balance in a new currency), the
      transfer, its two ledger rows, the event and the reply commit together or not at all.
    - With `if_match` (on the sender's wallet), a sender no longer at one of its versions is
      PRECONDITION_FAILED with nothing written, the key included (see wallet_precondition).
    """

    book: TransferBook
    tx: TransactionManager
    clock: Clock
    ids: IdGenerator
    encoder: ResponseEncoder
    currencies: frozenset[str]
    precondition: WalletPrecondition

    async def execute(self, request: MakeTransferRequest) -> Reply:
        sender = validate_user_id(request.from_user_id, field="from_user_id")
        receiver = validate_user_id(request.to_user_id, field="to_user_id")
        key = validate_idempotency_key(request.idempotency_key)
        money = Money(request.amount, ensure_supported(request.currency, self.currencies))
        reference = optional_reference(request.reference, max_length=MAX_TRANSFER_REFERENCE)
        request_fingerprint = fingerprint(
            "transfer",
            {
                "from_user_id": sender,
                "to_user_id": receiver,
                "amount": money.amount,
                "currency": money.currency,
                "reference": reference,
            },
        )
        now = self.clock.now()
        transfer = Transfer(
            id=self.ids.new_id(),
            from_user_id=sender,
            to_user_id=receiver,
            money=money,
            reference=reference,
            created_at=now,
        )
        legs = transfer_legs(transfer, debit_id=self.ids.new_id(), credit_id=self.ids.new_id())
        reply = self.encoder.transferred(transfer)
        refusal = self.encoder.failed(
            InsufficientFunds(currency=money.currency, amount=money.amount)
        )
        claim = new_claim(
            user_id=sender, key=key, fingerprint=request_fingerprint, at=now, answer=reply
        )
        async with rolling_back(self.tx):
            pinned = await self.precondition.ensure(
                request.if_match, user_id=sender, key=key, receiver=(receiver, money.currency)
            )
            move = await self.book.move(
                transfer,
                legs,
                claim,
                transfer_completed(transfer, legs, event_id=self.ids.new_id()),
                refusal,
            )
            if move.outcome is MoveOutcome.MOVED:
                await self.precondition.debited(pinned, money.currency)
            await self.tx.commit()
        match move.outcome:
            case MoveOutcome.MOVED:
                return Reply(reply)
            case MoveOutcome.REFUSED:
                return Reply(refusal)
            case MoveOutcome.HELD:
                assert move.holder is not None
                return reply_to_existing(move.holder, request_fingerprint)
            case MoveOutcome.NO_SENDER:
                raise WalletNotFound(user_id=sender)
            case MoveOutcome.NO_RECEIVER:
                raise WalletNotFound(user_id=receiver)
