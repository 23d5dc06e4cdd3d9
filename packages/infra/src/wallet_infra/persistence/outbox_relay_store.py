"""`OutboxRelayStore` on PostgreSQL: claim unsent rows with `FOR UPDATE SKIP LOCKED`.

Claiming by lock, never by "id > last seen", is what makes N relays safe: ids (UUIDv7)
are taken before commit, so commits land out of id order and a high-water mark would
skip rows still in flight. Each write is one statement per batch (`= ANY(:ids)`), so a
batch costs the same few round trips whatever its size.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any, Final
from uuid import UUID

from sqlalchemy import any_, bindparam, delete, select, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession
from wallet_domain.model.events import DomainEvent, EventType
from wallet_domain.model.outbox_message import OutboxMessage
from wallet_domain.ports.outbox_relay import OutboxRelayStore

from wallet_infra.persistence.tables import StdUuid, outbox

_IDS: Final = bindparam("ids", type_=ARRAY(StdUuid))

# Served by outbox_unsent_idx (event_id WHERE sent_at IS NULL): no scan of sent rows.
_CLAIM: Final = (
    select(
        outbox.c.event_id,
        outbox.c.event_type,
        outbox.c.aggregate_id,
        outbox.c.user_id,
        outbox.c.occurred_at,
        outbox.c.schema_version,
        outbox.c.payload,
        outbox.c.traceparent,
    )
    .where(outbox.c.sent_at.is_(None))
    .order_by(outbox.c.event_id)
    .limit(bindparam("limit"))
    .with_for_update(skip_locked=True)
)
_MARK_SENT: Final = (
    update(outbox).where(outbox.c.event_id == any_(_IDS)).values(sent_at=bindparam("at"))
)
_RECORD_FAILURE: Final = (
    update(outbox).where(outbox.c.event_id == any_(_IDS)).values(attempts=outbox.c.attempts + 1)
)
# Served by outbox_sent_at_idx; SKIP LOCKED so a purge never waits behind a relay.
_PURGE: Final = delete(outbox).where(
    outbox.c.event_id.in_(
        select(outbox.c.event_id)
        .where(outbox.c.sent_at < bindparam("cutoff"))
        .order_by(outbox.c.sent_at)
        .limit(bindparam("batch"))
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
)


def _message(row: Any) -> OutboxMessage:
    return OutboxMessage(
        event=DomainEvent(
            event_id=row.event_id,
            event_type=EventType(row.event_type),
            occurred_at=row.occurred_at,
            aggregate_id=row.aggregate_id,
            user_id=row.user_id,
            schema_version=row.schema_version,
            payload=row.payload,
        ),
        traceparent=row.traceparent,
    )


class SqlaOutboxRelayStore(OutboxRelayStore):
    """The outbox seen by a relay, in the caller's session; never commits."""

    def __init__(self, *, session: AsyncSession) -> None:
        self._session = session

    async def claim_batch(self, limit: int) -> list[OutboxMessage]:
        result = await self._session.execute(_CLAIM, {"limit": limit})
        return [_message(row) for row in result]

    async def mark_sent(self, event_ids: Collection[UUID], at: datetime) -> None:
        if event_ids:
            await self._session.execute(_MARK_SENT, {"ids": list(event_ids), "at": at})

    async def record_failure(self, event_ids: Collection[UUID]) -> None:
        if event_ids:
            await self._session.execute(_RECORD_FAILURE, {"ids": list(event_ids)})

    async def purge_sent_before(self, cutoff: datetime, batch: int) -> int:
        result = await self._session.execute(_PURGE, {"cutoff": cutoff, "batch": batch})
        return int(getattr(result, "rowcount", 0))
