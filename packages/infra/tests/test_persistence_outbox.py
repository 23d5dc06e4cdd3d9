"""SqlaOutboxWriter against PostgreSQL: the event row, its jsonb payload, traceparent."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from wallet_domain.model.events import SCHEMA_VERSION, DomainEvent, EventType
from wallet_infra.persistence.outbox import SqlaOutboxWriter
from wallet_infra.persistence.tables import outbox

from .payment_kit import TRACEPARENT, an_event, ids


def event(user_id: str, payload: dict[str, Any]) -> DomainEvent:
    return an_event(user_id, EventType.PAYMENT_CREATED, payload)


async def stored(session: AsyncSession, event_id: UUID) -> Any:
    return (await session.execute(select(outbox).where(outbox.c.event_id == event_id))).one()


async def test_an_event_is_stored_unsent_with_its_payload(
    session: AsyncSession, user_id: str
) -> None:
    payload = {"transaction_id": str(ids.new_id()), "amount": 2**62, "note": "café ☕", "n": None}
    added = event(user_id, payload)

    await SqlaOutboxWriter(session=session).add(added)

    row = await stored(session, added.event_id)
    assert (row.event_type, row.aggregate_id, row.user_id) == (
        "payment.created",
        added.aggregate_id,
        user_id,
    )
    assert row.occurred_at == added.occurred_at
    assert row.schema_version == SCHEMA_VERSION
    assert row.payload == payload
    assert (row.traceparent, row.sent_at, row.attempts) == (None, None, 0)


async def test_the_traceparent_of_the_current_span_is_recorded(
    session: AsyncSession, user_id: str
) -> None:
    added = event(user_id, {})

    await SqlaOutboxWriter(session=session, traceparent_provider=lambda: TRACEPARENT).add(added)

    assert (await stored(session, added.event_id)).traceparent == TRACEPARENT
