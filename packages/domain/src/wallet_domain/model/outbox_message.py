"""An outbox row on its way to the broker: the event plus the trace it was written in."""

from __future__ import annotations

from dataclasses import dataclass

from wallet_domain.model.events import DomainEvent


@dataclass(frozen=True, slots=True, kw_only=True)
class OutboxMessage:
    """`traceparent` is the W3C header of the request that wrote the event (or None), so
    the publish and every consumer continue that request's trace. `attempts` counts the
    publishes of it the broker did not confirm so far (the relay's bookkeeping: it sets
    how long the event waits after one more)."""

    event: DomainEvent
    traceparent: str | None = None
    attempts: int = 0
