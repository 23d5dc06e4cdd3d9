"""What a `dispute.*` event says: the status the dispute reached.

Read from the event's payload before a consumer commits to acting on it, like
`settled_payment`, so an event that cannot be understood is refused whole (and
dead-lettered) instead of half-counted.
"""

from __future__ import annotations

from typing import Final

from wallet_domain.model.dispute import DisputeStatus
from wallet_domain.model.events import DomainEvent, EventType
from wallet_domain.model.settled_payment import UnreadableEvent

DISPUTE_EVENTS: Final = frozenset(
    {
        EventType.DISPUTE_OPENED,
        EventType.DISPUTE_UPDATED,
        EventType.DISPUTE_WON,
        EventType.DISPUTE_LOST,
    }
)


def dispute_status(event: DomainEvent) -> DisputeStatus | None:
    """The status a dispute event reports; None for every other event type.

    Raises UnreadableEvent when the payload lacks a valid status."""
    if event.event_type not in DISPUTE_EVENTS:
        return None
    try:
        return DisputeStatus(event.payload["status"])
    except (KeyError, ValueError):
        raise UnreadableEvent(event_id=str(event.event_id)) from None
