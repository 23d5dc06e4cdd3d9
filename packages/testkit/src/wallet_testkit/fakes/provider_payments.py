"""Fake of the `ProviderPayments` port."""

from __future__ import annotations

from dataclasses import replace
from uuid import UUID

from wallet_domain.model.events import DomainEvent
from wallet_domain.model.refundable_payment import RefundablePayment
from wallet_domain.model.transaction import (
    REFUNDED_STATUSES,
    LedgerEntry,
    TransactionStatus,
    TransactionType,
)
from wallet_domain.ports.provider_payments import ProviderPayments

from wallet_testkit.fakes.store import (
    IntegrityViolation,
    check_appendable,
    check_within_amount,
    given_back,
)
from wallet_testkit.fakes.unit_of_work import FakeTransactionManager


class FakeProviderPayments(ProviderPayments):
    """Payments by id, with the bound the database puts on what a payment gives back."""

    def __init__(self, tx: FakeTransactionManager) -> None:
        self._tx = tx

    async def lock(self, payment_id: UUID) -> RefundablePayment | None:
        tables = self._tx.tables
        entry = tables.ledger.get(payment_id)
        if entry is None or entry.type is not TransactionType.PAYMENT:
            return None
        return given_back(tables, payment_id)

    async def refund(self, refund: LedgerEntry, created: DomainEvent) -> None:
        tables = self._tx.tables
        assert refund.refund_of is not None
        payment = tables.ledger[refund.refund_of]
        if payment.status not in (TransactionStatus.APPROVED, *REFUNDED_STATUSES):
            raise IntegrityViolation(f"payment {payment.id} is {payment.status}")
        found = given_back(tables, payment.id)
        check_within_amount(replace(found, refunded=found.refunded + refund.money.amount))
        check_appendable(tables.ledger, refund)
        tables.add_to_balance(refund.user_id, refund.money.currency, refund.money.amount)
        tables.ledger[refund.id] = refund
        tables.outbox.append(created)
