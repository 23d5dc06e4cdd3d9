"""Fake of the `PaymentBook` port."""

from __future__ import annotations

from dataclasses import replace

from wallet_domain.model.events import DomainEvent
from wallet_domain.model.idempotency import IdempotencyRecord, IdempotencyState, StoredResponse
from wallet_domain.model.settlement import Settlement
from wallet_domain.model.transaction import (
    LedgerEntry,
)
from wallet_domain.money import MAX_AMOUNT
from wallet_domain.ports.payment_book import Opening, OpenOutcome, PaymentBook

from wallet_testkit.fakes.store import IntegrityViolation, check_appendable, is_pending_payment
from wallet_testkit.fakes.unit_of_work import FakeTransactionManager


class FakePaymentBook(PaymentBook):
    """A payment's two writes, each all-or-nothing in the unit of work (checked in full
    before anything is staged), with the guards AsyncpgPaymentBook's statements have: the key
    claim, the covering check and the PENDING guard see commits made after the unit's
    snapshot, like a unique index, a row lock and `UPDATE ... WHERE status = 'PENDING'`.
    Records every opening and every settlement it wrote."""

    def __init__(self, tx: FakeTransactionManager) -> None:
        self._tx = tx
        self.openings: list[Opening] = []
        self.settlements: list[Settlement] = []

    async def open(
        self,
        payment: LedgerEntry,
        claim: IdempotencyRecord,
        created: DomainEvent,
        refusal: StoredResponse,
    ) -> Opening:
        tables = self._tx.tables
        scope = (claim.user_id, claim.key)
        holder = self._tx.key_holder(*scope)
        money = payment.money
        if holder is not None:
            opening = Opening(OpenOutcome.HELD, holder=holder)
        elif not self._tx.wallet_exists(claim.user_id):
            opening = Opening(OpenOutcome.NO_WALLET)
        else:
            balance = self._tx.latest_balance(claim.user_id, money.currency)
            if balance is None or balance < money.amount:
                answered = replace(claim, state=IdempotencyState.COMPLETED, response=refusal)
                tables.idempotency[scope] = answered
                opening = Opening(OpenOutcome.REFUSED)
            else:
                check_appendable(tables.ledger, payment)
                tables.idempotency[scope] = claim
                tables.add_to_balance(claim.user_id, money.currency, -money.amount)
                tables.ledger[payment.id] = payment
                tables.outbox.append(created)
                opening = Opening(OpenOutcome.DEBITED)
        self.openings.append(opening)
        return opening

    async def settle(self, settlement: Settlement) -> bool:
        tables, committed = self._tx.tables, self._tx.db.committed
        payment, refund = settlement.payment, settlement.refund
        staged = tables.ledger.get(payment.id)
        if not is_pending_payment(staged) or not is_pending_payment(
            committed.ledger.get(payment.id, staged)
        ):
            return False
        if payment.id in self._tx.db.unsettleable:
            raise IntegrityViolation(f"payment {payment.id} cannot be settled")
        credited: tuple[tuple[str, str], int] | None = None
        if refund is not None:
            check_appendable(tables.ledger, refund)
            if not self._tx.wallet_exists(refund.user_id):
                raise IntegrityViolation(f"no wallet {refund.user_id!r} (foreign key)")
            key = (refund.user_id, refund.money.currency)
            latest = self._tx.latest_balance(*key) or 0
            # Cannot happen while credits keep balance + held <= MAX_AMOUNT (as the DB does).
            assert latest + refund.money.amount <= MAX_AMOUNT, "held money no longer fits"
            credited = (key, tables.balances.get(key, 0) + refund.money.amount)
        tables.ledger[payment.id] = payment
        if refund is not None and credited is not None:
            tables.balances[credited[0]] = credited[1]
            tables.ledger[refund.id] = refund
        tables.outbox.extend(settlement.events)
        for scope, record in tables.idempotency.items():
            latest_record = committed.idempotency.get(scope, record)
            if (
                record.payment_id == payment.id
                and record.state is IdempotencyState.IN_PROGRESS
                and latest_record.state is IdempotencyState.IN_PROGRESS
            ):
                tables.idempotency[scope] = replace(
                    record, state=IdempotencyState.COMPLETED, response=settlement.reply
                )
                break
        self.settlements.append(settlement)
        return True
