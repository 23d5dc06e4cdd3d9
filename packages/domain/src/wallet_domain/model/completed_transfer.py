"""What a `transfer.completed` event says about the money.

Read from the event's payload before a consumer commits to acting on it, like
`settled_payment`, so an event that cannot be understood is refused whole (and
dead-lettered) instead of half-counted.
"""

from __future__ import annotations

from wallet_domain.errors import ValidationError
from wallet_domain.model.events import DomainEvent, EventType
from wallet_domain.model.settled_payment import UnreadableEvent
from wallet_domain.money import Money


def transferred_money(event: DomainEvent) -> Money | None:
    """The money a `transfer.completed` event moved; None for every other event type.

    Raises UnreadableEvent when the payload lacks a valid amount or currency."""
    if event.event_type is not EventType.TRANSFER_COMPLETED:
        return None
    payload = event.payload
    try:
        return Money(payload["amount"], payload["currency"])
    except (KeyError, ValidationError):
        raise UnreadableEvent(event_id=str(event.event_id)) from None
