"""`AuditLog` on PostgreSQL: concurrent appends batched into one
`INSERT ... SELECT FROM unnest(...) ON CONFLICT (event_id) DO NOTHING RETURNING event_id`.

The unique event_id makes a redelivery a no-op at the database, whichever instance gets
it; a concurrent insert of the same event blocks on the unique index until the first
transaction ends, then either inserts (the first rolled back) or does nothing. A batch
goes in event_id order, so two instances inserting overlapping batches wait on each
other in the same order instead of deadlocking.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from wallet_domain.model.events import DomainEvent
from wallet_domain.ports.audit_log import AuditLog

from wallet_infra.persistence.driver import DriverStatement, fetch_pooled, json_text
from wallet_infra.persistence.micro_batch import (
    MAX_SIZE,
    MAX_WAIT_S,
    MicroBatcher,
    first_copies,
)
from wallet_infra.persistence.statements.typed import unnest_rows
from wallet_infra.persistence.tables import AUDIT_LOG_EVENT_ID_KEY, audit_log

_COLUMNS: Final = ("event_id", "event_type", "aggregate_id", "user_id", "occurred_at", "payload")
# One statement (its own transaction) for a whole batch of consumed events.
_APPEND: Final = DriverStatement(
    text(
        f"INSERT INTO audit_log ({', '.join(_COLUMNS)})"  # noqa: S608 - constants only
        f" SELECT {', '.join(_COLUMNS)} FROM {unnest_rows(audit_log, _COLUMNS, 'e')}"
        f" ON CONFLICT ON CONSTRAINT {AUDIT_LOG_EVENT_ID_KEY} DO NOTHING RETURNING event_id"
    )
)


class AsyncpgAuditLog(AuditLog):
    """Appends committed at once, batched across concurrent deliveries (see
    `MicroBatcher`); one per process, closed (`aclose`) before the engine."""

    def __init__(
        self, *, engine: AsyncEngine, max_size: int = MAX_SIZE, max_wait_s: float = MAX_WAIT_S
    ) -> None:
        self._engine = engine
        self._batcher: MicroBatcher[DomainEvent, bool] = MicroBatcher(
            write=self._append_all, max_size=max_size, max_wait_s=max_wait_s
        )

    async def append(self, event: DomainEvent) -> bool:
        return await self._batcher.submit(event)

    async def aclose(self) -> None:
        await self._batcher.aclose()

    async def _append_all(self, events: Sequence[DomainEvent]) -> list[bool]:
        """True for each event this statement inserted; False for one already stored, and
        for a second copy of an event within the batch."""
        unique = sorted({event.event_id: event for event in events}.values(), key=_event_id)
        columns = {
            "event_id": [event.event_id for event in unique],
            "event_type": [event.event_type.value for event in unique],
            "aggregate_id": [event.aggregate_id for event in unique],
            "user_id": [event.user_id for event in unique],
            "occurred_at": [event.occurred_at for event in unique],
            "payload": [json_text(event.payload) for event in unique],
        }
        rows = await fetch_pooled(
            self._engine, "audit_log.append", _APPEND, columns, rows_sent=len(unique)
        )
        inserted = {UUID(int=row[0].int) for row in rows}
        return first_copies([event.event_id for event in events], inserted)


def _event_id(event: DomainEvent) -> UUID:
    return event.event_id
