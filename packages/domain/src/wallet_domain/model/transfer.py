"""Transfers: money moved from one wallet to another, on the platform, in one step.

A transfer writes two ledger rows that share its id: TRANSFER_OUT on the sender (a debit)
and TRANSFER_IN on the receiver (a credit) of the same money, so each wallet's balance
still equals the sum of its ledger, and the platform's total per currency does not move.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final
from uuid import UUID

from wallet_domain.errors import ValidationError
from wallet_domain.model.events import DomainEvent, EventType
from wallet_domain.model.transaction import LedgerEntry, TransactionStatus, TransactionType
from wallet_domain.money import Money

MAX_TRANSFER_REFERENCE: Final = 128


@dataclass(frozen=True, slots=True, kw_only=True)
class Transfer:
    """A completed transfer. It never changes once written."""

    id: UUID
    from_user_id: str
    to_user_id: str
    money: Money
    reference: str | None
    created_at: datetime
    status: TransactionStatus = TransactionStatus.COMPLETED

    def __post_init__(self) -> None:
        if self.from_user_id == self.to_user_id:
            raise ValidationError("a transfer needs two different wallets", field="to_user_id")

    def involves(self, user_id: str) -> bool:
        return user_id in (self.from_user_id, self.to_user_id)


@dataclass(frozen=True, slots=True)
class TransferLegs:
    """The transfer's two ledger rows."""

    debit: LedgerEntry  # TRANSFER_OUT, on the sender
    credit: LedgerEntry  # TRANSFER_IN, on the receiver


def _leg(transfer: Transfer, *, id: UUID, user_id: str, type: TransactionType) -> LedgerEntry:
    return LedgerEntry(
        id=id,
        user_id=user_id,
        type=type,
        status=TransactionStatus.COMPLETED,
        money=transfer.money,
        reference=transfer.reference,
        transfer_id=transfer.id,
        created_at=transfer.created_at,
        updated_at=transfer.created_at,
    )


def transfer_legs(transfer: Transfer, *, debit_id: UUID, credit_id: UUID) -> TransferLegs:
    return TransferLegs(
        debit=_leg(
            transfer, id=debit_id, user_id=transfer.from_user_id, type=TransactionType.TRANSFER_OUT
        ),
        credit=_leg(
            transfer, id=credit_id, user_id=transfer.to_user_id, type=TransactionType.TRANSFER_IN
        ),
    )


def transfer_payload(transfer: Transfer, legs: TransferLegs) -> dict[str, Any]:
    """The transfer as JSON-safe data (the body of `transfer.completed`)."""
    payload: dict[str, Any] = {
        "transfer_id": str(transfer.id),
        "status": transfer.status.value,
        "from_user_id": transfer.from_user_id,
        "to_user_id": transfer.to_user_id,
        "amount": transfer.money.amount,
        "currency": transfer.money.currency,
        "debit_transaction_id": str(legs.debit.id),
        "credit_transaction_id": str(legs.credit.id),
    }
    if transfer.reference is not None:
        payload["reference"] = transfer.reference
    return payload


def transfer_completed(transfer: Transfer, legs: TransferLegs, *, event_id: UUID) -> DomainEvent:
    """`transfer.completed`: the transfer is the aggregate; the sender is the event's user."""
    return DomainEvent(
        event_id=event_id,
        event_type=EventType.TRANSFER_COMPLETED,
        occurred_at=transfer.created_at,
        aggregate_id=transfer.id,
        user_id=transfer.from_user_id,
        payload=transfer_payload(transfer, legs),
    )
