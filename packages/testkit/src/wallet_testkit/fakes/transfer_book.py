"""Fake of the `TransferBook` port."""

from __future__ import annotations

from dataclasses import replace
from uuid import UUID

from wallet_domain.errors import (
    ValidationError,
)
from wallet_domain.model.events import DomainEvent
from wallet_domain.model.idempotency import IdempotencyRecord, StoredResponse
from wallet_domain.model.transfer import Transfer, TransferLegs
from wallet_domain.money import MAX_AMOUNT
from wallet_domain.ports.transfer_book import Move, MoveOutcome, TransferBook

from wallet_testkit.fakes.store import check_appendable, held_total
from wallet_testkit.fakes.unit_of_work import FakeTransactionManager


class FakeTransferBook(TransferBook):
    """A transfer's write, all-or-nothing in the unit of work, with the guards
    SqlaTransferBook's statement has: the key claim and the covering check see commits
    made after the unit's snapshot, like a unique index and a row lock; a credit past the
    largest amount is refused like the balance row's constraint. Records every move."""

    def __init__(self, tx: FakeTransactionManager) -> None:
        self._tx = tx
        self.moves: list[Move] = []

    async def move(
        self,
        transfer: Transfer,
        legs: TransferLegs,
        claim: IdempotencyRecord,
        completed: DomainEvent,
        refusal: StoredResponse,
    ) -> Move:
        tables = self._tx.tables
        scope = (claim.user_id, claim.key)
        holder = self._tx.key_holder(*scope)
        money = transfer.money
        exists = self._tx.wallet_exists
        if holder is not None:
            move = Move(MoveOutcome.HELD, holder=holder)
        elif not exists(transfer.from_user_id):
            move = Move(MoveOutcome.NO_SENDER)
        elif not exists(transfer.to_user_id):
            move = Move(MoveOutcome.NO_RECEIVER)
        else:
            balance = self._tx.latest_balance(transfer.from_user_id, money.currency)
            if balance is None or balance < money.amount:
                tables.idempotency[scope] = replace(claim, response=refusal)
                move = Move(MoveOutcome.REFUSED)
            else:
                to_key = (transfer.to_user_id, money.currency)
                received = (self._tx.latest_balance(*to_key) or 0) + money.amount
                if received + held_total(tables, *to_key) > MAX_AMOUNT:
                    raise ValidationError("balance would overflow", field="amount")
                for leg in (legs.debit, legs.credit):
                    check_appendable(tables.ledger, leg)
                tables.idempotency[scope] = claim
                tables.add_to_balance(transfer.from_user_id, money.currency, -money.amount)
                tables.add_to_balance(transfer.to_user_id, money.currency, money.amount)
                tables.transfers[transfer.id] = transfer
                tables.ledger[legs.debit.id] = legs.debit
                tables.ledger[legs.credit.id] = legs.credit
                tables.outbox.append(completed)
                move = Move(MoveOutcome.MOVED)
        self.moves.append(move)
        return move

    async def get(self, transfer_id: UUID) -> Transfer | None:
        return self._tx.tables.transfers.get(transfer_id)
