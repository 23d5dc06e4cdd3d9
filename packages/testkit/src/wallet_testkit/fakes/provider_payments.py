"""Fake of the `ProviderPayments` port."""

from __future__ import annotations

from uuid import UUID

from wallet_domain.model.events import DomainEvent
from wallet_domain.model.refundable_payment import RefundablePayment
from wallet_domain.model.transaction import (
    LedgerEntry,
    TransactionStatus,
    TransactionType,
)
from wallet_domain.ports.provider_payments import ProviderPayments

from wallet_testkit.fakes.store import IntegrityViolation, check_appendable
from wallet_testkit.fakes.unit_of_work import FakeTransactionManager


def refunded_of(ledger: dict[UUID, LedgerEntry], payment_id: UUID) -> int:
    """What provider refunds gave back of a payment (the database keeps it on the row)."""
    return sum(
        e.money.amount
        for e in ledger.values()
        if e.type is TransactionType.PROVIDER_REFUND and e.refund_of == payment_id
    )


class FakeProviderPayments(ProviderPayments):
    """Payments by id, with the bound the database puts on a payment's refunded total."""

    def __init__(self, tx: FakeTransactionManager) -> None:
        self._tx = tx

    async def lock(self, payment_id: UUID) -> RefundablePayment | None:
        ledger = self._tx.tables.ledger
        entry = ledger.get(payment_id)
        if entry is None or entry.type is not TransactionType.PAYMENT:
            return None
        return RefundablePayment(payment=entry, refunded=refunded_of(ledger, payment_id))

    async def refund(self, refund: LedgerEntry, created: DomainEvent) -> None:
        tables = self._tx.tables
        assert refund.refund_of is not None
        payment = tables.ledger[refund.refund_of]
        if payment.status is not TransactionStatus.APPROVED:
            raise IntegrityViolation(f"payment {payment.id} is {payment.status}")
        total = refunded_of(tables.ledger, payment.id) + refund.money.amount
        if total > payment.money.amount:
            raise IntegrityViolation("transactions_refunded_within_amount")
        check_appendable(tables.ledger, refund)
        tables.add_to_balance(refund.user_id, refund.money.currency, refund.money.amount)
        tables.ledger[refund.id] = refund
        tables.outbox.append(created)
