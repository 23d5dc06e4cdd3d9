"""Ledger entries. Every balance change writes one, in the same DB transaction.

Ledger rows are immutable except the status of a PENDING payment, which moves
exactly once to APPROVED, DECLINED or FAILED, and that of a PENDING (two-phase) deposit,
which moves exactly once to COMPLETED or REVERTED.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Final
from uuid import UUID

from wallet_domain.money import Money


class TransactionType(StrEnum):
    DEPOSIT = "DEPOSIT"
    PAYMENT = "PAYMENT"
    REFUND = "REFUND"
    HOLD = "HOLD"
    HOLD_RELEASE = "HOLD_RELEASE"
    TRANSFER_OUT = "TRANSFER_OUT"
    TRANSFER_IN = "TRANSFER_IN"
    # Money the provider gave back of an APPROVED payment after the fact (a provider-side
    # refund, all of it or a part); unlike REFUND, a payment may have several.
    PROVIDER_REFUND = "PROVIDER_REFUND"
    CHARGEBACK = "CHARGEBACK"  # a won dispute gives the payment's amount back
    REDEBIT = "REDEBIT"  # takes back a refund given by mistake (reconciliation)


class TransactionStatus(StrEnum):
    PENDING = "PENDING"
    APPROVED = "APPROVED"
    DECLINED = "DECLINED"
    FAILED = "FAILED"
    COMPLETED = "COMPLETED"
    REVERTED = "REVERTED"


PAYMENT_FINAL_STATUSES: Final = frozenset(
    {TransactionStatus.APPROVED, TransactionStatus.DECLINED, TransactionStatus.FAILED}
)
# A payment settled in one of these was refunded in the same write.
REFUNDED_STATUSES: Final = frozenset({TransactionStatus.DECLINED, TransactionStatus.FAILED})
DEPOSIT_FINAL_STATUSES: Final = frozenset({TransactionStatus.COMPLETED, TransactionStatus.REVERTED})
# Types whose amount leaves the balance (stored negative).
DEBIT_TYPES: Final = frozenset(
    {
        TransactionType.PAYMENT,
        TransactionType.HOLD,
        TransactionType.TRANSFER_OUT,
        TransactionType.REDEBIT,
    }
)


class IllegalTransition(Exception):
    """A programming error: the state machine was asked for a move it does not allow."""


@dataclass(frozen=True, slots=True, kw_only=True)
class LedgerEntry:
    id: UUID
    user_id: str
    type: TransactionType
    status: TransactionStatus
    money: Money
    created_at: datetime
    updated_at: datetime
    provider_id: UUID | None = None
    external_reference: str | None = None
    reference: str | None = None
    refund_of: UUID | None = None
    hold_id: UUID | None = None
    transfer_id: UUID | None = None
    dispute_id: UUID | None = None

    @property
    def signed_amount(self) -> int:
        """Debits are negative; balance == sum of signed amounts of the rows that count."""
        return -self.money.amount if self.type in DEBIT_TYPES else self.money.amount

    @property
    def counts_in_balance(self) -> bool:
        """A deposit counts once completed; a pending or reverted one never did. Every
        other row counts from the moment it is written (a PENDING payment's debit too)."""
        return (
            self.type is not TransactionType.DEPOSIT or self.status is TransactionStatus.COMPLETED
        )

    @property
    def is_pending(self) -> bool:
        return self.status is TransactionStatus.PENDING

    def settle(self, status: TransactionStatus, at: datetime) -> LedgerEntry:
        """Move a PENDING payment to its final status (exactly once)."""
        return self._leave_pending(TransactionType.PAYMENT, status, at)

    def settle_deposit(self, status: TransactionStatus, at: datetime) -> LedgerEntry:
        """Move a PENDING deposit to COMPLETED or REVERTED (exactly once)."""
        return self._leave_pending(TransactionType.DEPOSIT, status, at)

    def _leave_pending(
        self, type: TransactionType, status: TransactionStatus, at: datetime
    ) -> LedgerEntry:
        if self.type is not type or not self.is_pending:
            raise IllegalTransition(f"{self.type} {self.status} cannot be settled")
        if status not in _FINAL_STATUSES[type]:
            raise IllegalTransition(f"{status} is not a final {type.lower()} status")
        return replace(self, status=status, updated_at=at)


# The only rows whose status moves: from PENDING, once, to one of these.
_FINAL_STATUSES: Final = {
    TransactionType.PAYMENT: PAYMENT_FINAL_STATUSES,
    TransactionType.DEPOSIT: DEPOSIT_FINAL_STATUSES,
}


def new_deposit(
    *,
    id: UUID,
    user_id: str,
    money: Money,
    reference: str | None,
    at: datetime,
    pending: bool = False,
) -> LedgerEntry:
    """A deposit; a `pending` one (two-phase) is not spendable until completed."""
    return LedgerEntry(
        id=id,
        user_id=user_id,
        type=TransactionType.DEPOSIT,
        status=TransactionStatus.PENDING if pending else TransactionStatus.COMPLETED,
        money=money,
        reference=reference,
        created_at=at,
        updated_at=at,
    )


def new_payment(
    *,
    id: UUID,
    user_id: str,
    money: Money,
    provider_id: UUID,
    external_reference: str,
    at: datetime,
) -> LedgerEntry:
    return LedgerEntry(
        id=id,
        user_id=user_id,
        type=TransactionType.PAYMENT,
        status=TransactionStatus.PENDING,
        money=money,
        provider_id=provider_id,
        external_reference=external_reference,
        created_at=at,
        updated_at=at,
    )


def _completed(
    type: TransactionType,
    id: UUID,
    user_id: str,
    money: Money,
    at: datetime,
    /,
    *,
    provider_id: UUID | None = None,
    external_reference: str | None = None,
    reference: str | None = None,
    refund_of: UUID | None = None,
    hold_id: UUID | None = None,
    dispute_id: UUID | None = None,
) -> LedgerEntry:
    """A row final from the moment it is written (COMPLETED, created and updated `at`):
    every row but a payment and a two-phase deposit."""
    return LedgerEntry(
        id=id,
        user_id=user_id,
        type=type,
        status=TransactionStatus.COMPLETED,
        money=money,
        provider_id=provider_id,
        external_reference=external_reference,
        reference=reference,
        refund_of=refund_of,
        hold_id=hold_id,
        dispute_id=dispute_id,
        created_at=at,
        updated_at=at,
    )


def _against_payment(
    type: TransactionType,
    payment: LedgerEntry,
    money: Money,
    *,
    id: UUID,
    at: datetime,
    refund_of: UUID | None = None,
) -> LedgerEntry:
    """A row that moves `money` for `payment` after the fact, under its wallet, provider
    and external reference."""
    return _completed(
        type,
        id,
        payment.user_id,
        money,
        at,
        provider_id=payment.provider_id,
        external_reference=payment.external_reference,
        refund_of=refund_of,
    )


def new_refund(*, id: UUID, payment: LedgerEntry, at: datetime) -> LedgerEntry:
    """The compensation of a payment that was not approved: same amount, credited back."""
    if payment.type is not TransactionType.PAYMENT:
        raise IllegalTransition("only a payment can be refunded")
    refund = TransactionType.REFUND
    return _against_payment(refund, payment, payment.money, id=id, at=at, refund_of=payment.id)


def new_provider_refund(
    *, id: UUID, payment: LedgerEntry, amount: int, at: datetime
) -> LedgerEntry:
    """Money the provider gave back of a payment it charged: `amount` credited back, naming
    the payment in `refund_of`. An APPROVED payment, or a FAILED or DECLINED one that a
    reconciliation re-debited (the caller checks what is left to give back of it)."""
    if payment.type is not TransactionType.PAYMENT or (
        payment.status is not TransactionStatus.APPROVED and payment.status not in REFUNDED_STATUSES
    ):
        raise IllegalTransition(
            f"{payment.type} {payment.status} cannot be refunded by the provider"
        )
    money = Money(amount, payment.money.currency)
    refund = TransactionType.PROVIDER_REFUND
    return _against_payment(refund, payment, money, id=id, at=at, refund_of=payment.id)


def new_redebit(*, id: UUID, payment: LedgerEntry, at: datetime) -> LedgerEntry:
    """Takes back the refund of a payment the provider charged after all: the payment's
    amount leaves the balance again, under its provider and external reference."""
    if payment.type is not TransactionType.PAYMENT or payment.status not in REFUNDED_STATUSES:
        raise IllegalTransition(f"{payment.type} {payment.status} was not refunded")
    return _against_payment(TransactionType.REDEBIT, payment, payment.money, id=id, at=at)


def new_hold_entry(
    *, id: UUID, user_id: str, money: Money, hold_id: UUID, reference: str | None, at: datetime
) -> LedgerEntry:
    """The ledger side of a new hold: its whole amount leaves the balance at once."""
    hold = TransactionType.HOLD
    return _completed(hold, id, user_id, money, at, reference=reference, hold_id=hold_id)


def new_hold_release(
    *, id: UUID, user_id: str, money: Money, hold_id: UUID, at: datetime
) -> LedgerEntry:
    """What a settled hold gives back to the balance (all of it, or what was not captured)."""
    return _completed(TransactionType.HOLD_RELEASE, id, user_id, money, at, hold_id=hold_id)


def new_chargeback(
    *, id: UUID, user_id: str, money: Money, dispute_id: UUID, at: datetime
) -> LedgerEntry:
    """The credit of a won dispute: the disputed payment's amount, back to its wallet."""
    return _completed(TransactionType.CHARGEBACK, id, user_id, money, at, dispute_id=dispute_id)
