"""`OutboxWriter` on PostgreSQL: the event row commits with the change it describes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from sqlalchemy.ext.asyncio import AsyncSession
from wallet_domain.model.events import DomainEvent
from wallet_domain.ports.outbox import OutboxWriter

from wallet_infra.persistence.tables import outbox

_INSERT: Final = outbox.insert()

TraceparentProvider = Callable[[], str | None]


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
        await self._session.execute(
            _INSERT,
            {
                "event_id": event.event_id,
                "event_type": event.event_type.value,
                "aggregate_id": event.aggregate_id,
                "user_id": event.user_id,
                "occurred_at": event.occurred_at,
                "schema_version": event.schema_version,
                "payload": event.payload,
                "traceparent": None if self._traceparent is None else self._traceparent(),
            },
        )
