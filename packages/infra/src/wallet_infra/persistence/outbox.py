"""`OutboxWriter` on PostgreSQL: the event row commits with the change it describes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from sqlalchemy.ext.asyncio import AsyncSession
from wallet_domain.model.events import DomainEvent
from wallet_domain.ports.outbox import OutboxWriter

from wallet_infra.persistence.tables import outbox

_INSERT: Final = outbox.insert()

TraceparentProvider = Callable[[], str | None]


# Every column but the relay's own bookkeeping (sent_at, attempts, next_attempt_at).
EVENT_COLUMNS: Final = tuple(
    column.name
    for column in outbox.c
    if column.name not in {"sent_at", "attempts", "next_attempt_at"}
)


def event_row(event: DomainEvent, traceparent: str | None = None) -> dict[str, Any]:
    """An event as the `outbox` columns a writer sets (EVENT_COLUMNS)."""
    return {
        "event_id": event.event_id,
        "event_type": event.event_type.value,
        "aggregate_id": event.aggregate_id,
        "user_id": event.user_id,
        "occurred_at": event.occurred_at,
        "schema_version": event.schema_version,
        "payload": event.payload,
        "traceparent": traceparent,
    }


class SqlaOutboxWriter(OutboxWriter):
    """Writes events in the request's session; the relay publishes them after commit.

    `traceparent_provider` returns the W3C traceparent of the current span (or None), so
    the relay can continue the request's trace when it publishes.
    """

    def __init__(
        self, *, session: AsyncSession, traceparent_provider: TraceparentProvider | None = None
    ) -> None:
        self._session = session
        self._traceparent = traceparent_provider

    async def add(self, event: DomainEvent) -> None:
        traceparent = None if self._traceparent is None else self._traceparent()
        await self._session.execute(_INSERT, event_row(event, traceparent))
