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
DEPOSIT_FINAL_STATUSES: Final = frozenset({TransactionStatus.COMPLETED, TransactionStatus.REVERTED})
# Types whose amount leaves the balance (stored negative).
DEBIT_TYPES: Final = frozenset(
    {TransactionType.PAYMENT, TransactionType.HOLD, TransactionType.TRANSFER_OUT}
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
        if self.type is not TransactionType.PAYMENT or not self.is_pending:
            raise IllegalTransition(f"{self.type} {self.status} cannot be settled")
        if status not in PAYMENT_FINAL_STATUSES:
            raise IllegalTransition(f"{status} is not a final payment status")
        return replace(self, status=status, updated_at=at)

    def settle_deposit(self, status: TransactionStatus, at: datetime) -> LedgerEntry:
        """Move a PENDING deposit to COMPLETED or REVERTED (exactly once)."""
        if self.type is not TransactionType.DEPOSIT or not self.is_pending:
            raise IllegalTransition(f"{self.type} {self.status} cannot be settled")
        if status not in DEPOSIT_FINAL_STATUSES:
            raise IllegalTransition(f"{status} is not a final deposit status")
        return replace(self, status=status, updated_at=at)


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


def new_refund(*, id: UUID, payment: LedgerEntry, at: datetime) -> LedgerEntry:
    """The compensation of a payment that was not approved: same amount, credited back."""
    if payment.type is not TransactionType.PAYMENT:
        raise IllegalTransition("only a payment can be refunded")
    return LedgerEntry(
        id=id,
        user_id=payment.user_id,
        type=TransactionType.REFUND,
        status=TransactionStatus.COMPLETED,
        money=payment.money,
        provider_id=payment.provider_id,
        external_reference=payment.external_reference,
        refund_of=payment.id,
        created_at=at,
        updated_at=at,
    )


def new_provider_refund(
    *, id: UUID, payment: LedgerEntry, amount: int, at: datetime
) -> LedgerEntry:
    """Money the provider gave back of an APPROVED payment: `amount` credited back, naming
    the payment in `refund_of` (the caller checks the payment's refunded total)."""
    if (
        payment.type is not TransactionType.PAYMENT
        or payment.status is not TransactionStatus.APPROVED
    ):
        raise IllegalTransition(
            f"{payment.type} {payment.status} cannot be refunded by the provider"
        )
    return LedgerEntry(
        id=id,
        user_id=payment.user_id,
        type=TransactionType.PROVIDER_REFUND,
        status=TransactionStatus.COMPLETED,
        money=Money(amount, payment.money.currency),
        provider_id=payment.provider_id,
        external_reference=payment.external_reference,
        refund_of=payment.id,
        created_at=at,
        updated_at=at,
    )


def new_hold_entry(
    *, id: UUID, user_id: str, money: Money, hold_id: UUID, reference: str | None, at: datetime
) -> LedgerEntry:
    """The ledger side of a new hold: its whole amount leaves the balance at once."""
    return LedgerEntry(
        id=id,
        user_id=user_id,
        type=TransactionType.HOLD,
        status=TransactionStatus.COMPLETED,
        money=money,
        reference=reference,
        hold_id=hold_id,
        created_at=at,
        updated_at=at,
    )


def new_hold_release(
    *, id: UUID, user_id: str, money: Money, hold_id: UUID, at: datetime
) -> LedgerEntry:
    """What a settled hold gives back to the balance (all of it, or what was not captured)."""
    return LedgerEntry(
        id=id,
        user_id=user_id,
        type=TransactionType.HOLD_RELEASE,
        status=TransactionStatus.COMPLETED,
        money=money,
        hold_id=hold_id,
        created_at=at,
        updated_at=at,
    )
