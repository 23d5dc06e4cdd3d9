"""What a `hold.*` event says about the money, read before a consumer acts on it.

An event that cannot be understood is refused whole (and dead-lettered) instead of being
half-counted, like a payment event (`settled_payment`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from wallet_domain.errors import ValidationError
from wallet_domain.model.events import HOLD_EVENTS, DomainEvent
from wallet_domain.model.hold import HoldStatus
from wallet_domain.model.settled_payment import UnreadableEvent
from wallet_domain.money import Money

_STATUS_OF: Final = {event_type: status for status, event_type in HOLD_EVENTS.items()}


@dataclass(frozen=True, slots=True, kw_only=True)
class HoldOutcome:
    """The state a hold reached and the money that moved with it: held on creation,
    captured on completion, released on revert or expiry."""

    status: HoldStatus
    money: Money


def hold_outcome(event: DomainEvent) -> HoldOutcome | None:
    """The outcome `event` reports; None for events that are not about a hold.

    Raises UnreadableEvent when the payload lacks a valid amount, currency, status matching
    the event type, or (completed) a captured amount."""
    status = _STATUS_OF.get(event.event_type)
    if status is None:
        return None
    payload = event.payload
    try:
        if HoldStatus(str(payload["status"])) is not status:
            raise ValueError(status)
        amount = payload["amount"]
        if status is HoldStatus.COMPLETED:
            amount = payload["captured"]
        money = Money(amount, payload["currency"])
    except (KeyError, ValueError, ValidationError):
        raise UnreadableEvent(event_id=str(event.event_id)) from None
    return HoldOutcome(status=status, money=money)
