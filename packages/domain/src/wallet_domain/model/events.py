"""Domain events, written to the outbox in the same transaction as the change they describe."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Final
from uuid import UUID

from wallet_domain.model.dispute import Dispute, DisputeStatus
from wallet_domain.model.hold import Hold, HoldStatus
from wallet_domain.model.transaction import LedgerEntry

SCHEMA_VERSION: Final = 1


class EventType(StrEnum):
    PAYMENT_CREATED = "payment.created"
    PAYMENT_COMPLETED = "payment.completed"
    PAYMENT_FAILED = "payment.failed"
    PAYMENT_REDEBITED = "payment.redebited"  # reconciliation took a refund back
    REFUND_CREATED = "refund.created"
    DEPOSIT_COMPLETED = "deposit.completed"
    DEPOSIT_PENDING = "deposit.pending"
    DEPOSIT_REVERTED = "deposit.reverted"
    HOLD_CREATED = "hold.created"
    HOLD_COMPLETED = "hold.completed"
    HOLD_REVERTED = "hold.reverted"
    HOLD_EXPIRED = "hold.expired"
    TRANSFER_COMPLETED = "transfer.completed"
    DISPUTE_OPENED = "dispute.opened"
    DISPUTE_UPDATED = "dispute.updated"
    DISPUTE_WON = "dispute.won"
    DISPUTE_LOST = "dispute.lost"


@dataclass(frozen=True, slots=True, kw_only=True)
class DomainEvent:
    """The event envelope minus transport details; `payload` is JSON-safe."""

    event_id: UUID
    event_type: EventType
    occurred_at: datetime
    aggregate_id: UUID
    user_id: str
    payload: dict[str, Any] = field(default_factory=dict)
    schema_version: int = SCHEMA_VERSION


def entry_payload(entry: LedgerEntry) -> dict[str, Any]:
    """The ledger entry as JSON-safe data, the common body of every money event."""
    payload: dict[str, Any] = {
        "transaction_id": str(entry.id),
        "type": entry.type.value,
        "status": entry.status.value,
        "amount": entry.money.amount,
        "currency": entry.money.currency,
    }
    if entry.provider_id is not None:
        payload["provider_id"] = str(entry.provider_id)
    if entry.external_reference is not None:
        payload["external_reference"] = entry.external_reference
    if entry.reference is not None:
        payload["reference"] = entry.reference
    if entry.refund_of is not None:
        payload["refund_of"] = str(entry.refund_of)
    if entry.hold_id is not None:
        payload["hold_id"] = str(entry.hold_id)
    if entry.transfer_id is not None:
        payload["transfer_id"] = str(entry.transfer_id)
    if entry.dispute_id is not None:
        payload["dispute_id"] = str(entry.dispute_id)
    return payload


def event_for(
    event_type: EventType, entry: LedgerEntry, *, event_id: UUID, at: datetime
) -> DomainEvent:
    # A refund belongs to the payment it compensates: one aggregate, one ordered story.
    aggregate_id = entry.refund_of if entry.refund_of is not None else entry.id
    return DomainEvent(
        event_id=event_id,
        event_type=event_type,
        occurred_at=at,
        aggregate_id=aggregate_id,
        user_id=entry.user_id,
        payload=entry_payload(entry),
    )


HOLD_EVENTS: Final = {
    HoldStatus.PENDING: EventType.HOLD_CREATED,
    HoldStatus.COMPLETED: EventType.HOLD_COMPLETED,
    HoldStatus.REVERTED: EventType.HOLD_REVERTED,
    HoldStatus.EXPIRED: EventType.HOLD_EXPIRED,
}


def hold_payload(hold: Hold) -> dict[str, Any]:
    """The hold as JSON-safe data: what it held, captured and gave back."""
    payload: dict[str, Any] = {
        "hold_id": str(hold.id),
        "status": hold.status.value,
        "amount": hold.money.amount,
        "currency": hold.money.currency,
        "captured": hold.captured,
        "released": hold.released,
        "expires_at": hold.expires_at.isoformat(),
    }
    if hold.reference is not None:
        payload["reference"] = hold.reference
    return payload


def hold_event(hold: Hold, *, event_id: UUID, at: datetime) -> DomainEvent:
    """The event of the state `hold` just reached (created, completed, reverted, expired)."""
    return DomainEvent(
        event_id=event_id,
        event_type=HOLD_EVENTS[hold.status],
        occurred_at=at,
        aggregate_id=hold.id,
        user_id=hold.user_id,
        payload=hold_payload(hold),
    )


def dispute_event(
    dispute: Dispute, *, event_id: UUID, at: datetime, credited: int | None = None
) -> DomainEvent:
    """The event of the state `dispute` just reached: opened, won, lost, or updated (any
    other move, a cancel included); `payload.status` says which. A won dispute's also says
    what its CHARGEBACK `credited`: its amount, less what the payment had given back
    already (0: nothing was left)."""
    event_type = {
        DisputeStatus.OPEN: EventType.DISPUTE_OPENED,
        DisputeStatus.WON: EventType.DISPUTE_WON,
        DisputeStatus.LOST: EventType.DISPUTE_LOST,
    }.get(dispute.status, EventType.DISPUTE_UPDATED)
    return DomainEvent(
        event_id=event_id,
        event_type=event_type,
        occurred_at=at,
        aggregate_id=dispute.id,
        user_id=dispute.user_id,
        payload={
            "dispute_id": str(dispute.id),
            "payment_id": str(dispute.payment_id),
            "status": dispute.status.value,
            "amount": dispute.money.amount,
            "currency": dispute.money.currency,
        }
        | ({"credited": credited or 0} if dispute.status is DisputeStatus.WON else {}),
    )
