"""What a `payment.completed` / `payment.failed` event says about the money.

Read from the event's payload before a consumer commits to acting on it, so an event
that cannot be understood is refused whole (and dead-lettered) instead of half-counted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from wallet_domain.errors import ValidationError
from wallet_domain.model.events import DomainEvent, EventType
from wallet_domain.model.transaction import TransactionStatus
from wallet_domain.money import Money

_STATUSES: Final[dict[EventType, frozenset[TransactionStatus]]] = {
    EventType.PAYMENT_COMPLETED: frozenset({TransactionStatus.APPROVED}),
    EventType.PAYMENT_FAILED: frozenset({TransactionStatus.DECLINED, TransactionStatus.FAILED}),
}


class UnreadableEvent(ValidationError):
    """A well-formed envelope whose payload contradicts its event type; retrying it cannot
    help, so consumers dead-letter it."""

    default_message = "event payload does not match its event type"


@dataclass(frozen=True, slots=True, kw_only=True)
class SettledPayment:
    """A payment's final status and its money."""

    status: TransactionStatus
    money: Money


def settled_payment(event: DomainEvent) -> SettledPayment | None:
    """The settlement `event` reports; None for events that settle no payment.

    Raises UnreadableEvent when the payload lacks a valid amount, currency, or a final
    status consistent with the event type (completed = APPROVED; failed = DECLINED|FAILED).
    """
    allowed = _STATUSES.get(event.event_type)
    if allowed is None:
        return None
    payload = event.payload
    try:
        status = TransactionStatus(str(payload["status"]))
        money = Money(payload["amount"], payload["currency"])
    except (KeyError, ValueError, ValidationError):
        raise UnreadableEvent(event_id=str(event.event_id)) from None
    if status not in allowed:
        raise UnreadableEvent(event_id=str(event.event_id))
    return SettledPayment(status=status, money=money)
