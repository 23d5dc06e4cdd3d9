"""What a `deposit.*` event says about the money, read before a consumer acts on it.

An event that cannot be understood is refused whole (and dead-lettered) instead of being
half-counted, like a payment or hold event.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from wallet_domain.errors import ValidationError
from wallet_domain.model.events import DomainEvent, EventType
from wallet_domain.model.settled_payment import UnreadableEvent
from wallet_domain.model.transaction import TransactionStatus
from wallet_domain.money import Money

_STATUS_OF: Final = {
    EventType.DEPOSIT_PENDING: TransactionStatus.PENDING,
    EventType.DEPOSIT_COMPLETED: TransactionStatus.COMPLETED,
    EventType.DEPOSIT_REVERTED: TransactionStatus.REVERTED,
}


@dataclass(frozen=True, slots=True, kw_only=True)
class DepositOutcome:
    """The state a deposit reached and its money: announced (PENDING, not spendable yet),
    credited (COMPLETED, at once or on completion) or dropped (REVERTED)."""

    status: TransactionStatus
    money: Money


def deposit_outcome(event: DomainEvent) -> DepositOutcome | None:
    """The outcome `event` reports; None for events that are not about a deposit.

    Raises UnreadableEvent when the payload lacks a valid amount, currency or a status
    matching the event type."""
    status = _STATUS_OF.get(event.event_type)
    if status is None:
        return None
    payload = event.payload
    try:
        if TransactionStatus(str(payload["status"])) is not status:
            raise ValueError(status)
        money = Money(payload["amount"], payload["currency"])
    except (KeyError, ValueError, ValidationError):
        raise UnreadableEvent(event_id=str(event.event_id)) from None
    return DepositOutcome(status=status, money=money)
