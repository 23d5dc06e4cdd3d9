from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol
from uuid import UUID

from wallet_domain.model.outbox_message import OutboxMessage


class BrokerUnavailable(Exception):
    """The message broker cannot take any message right now (down, unreachable, the
    connection dropped). Transient by nature: the caller backs off and retries; the
    events wait in the outbox, so nothing is lost. Not a `DomainError`: no client ever
    sees it."""


class EventPublisher(Protocol):
    """Hands events to the message broker with delivery confirmation."""

    async def publish_batch(self, messages: Sequence[OutboxMessage]) -> set[UUID]:
        """Publish every message and return the event_ids the broker confirmed (accepted
        and routed to at least one queue). A message that was refused, unroutable or
        unconfirmed in time is simply absent from the result; raises `BrokerUnavailable`
        only when nothing could be published at all."""
        ...
