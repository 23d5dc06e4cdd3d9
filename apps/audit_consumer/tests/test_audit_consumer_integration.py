"""The audit consumer on the real broker and database: every routed event type is stored
once, a message whose insert keeps failing is dead-lettered after the delivery limit
while the events behind it are stored, `/healthz` sees broker and database."""

from __future__ import annotations

from typing import Any, Final
from uuid import UUID

import pytest
from aio_pika.abc import AbstractIncomingMessage
from faststream.asgi import AsgiFastStream
from faststream.rabbit import RabbitBroker
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from wallet_domain.model.events import EventType
from wallet_infra.messaging.topology import (
    AUDIT_DLQ_NAME,
    AUDIT_QUEUE_NAME,
    DELIVERY_LIMIT,
)
from wallet_infra.persistence.tables import audit_log
from wallet_testkit.amqp import RabbitVhost, first_death, publish_event, queue_messages
from wallet_testkit.consumers import get
from wallet_testkit.fakes.consumers import make_event
from wallet_testkit.metrics import Samples, deliveries, scrape
from wallet_testkit.polling import eventually

pytestmark = pytest.mark.integration

TIMEOUT_S: Final = 15.0


async def _rows(
    session_factory: async_sessionmaker[AsyncSession], event_ids: set[UUID]
) -> list[Any]:
    async with session_factory() as session:
        query = select(audit_log).where(audit_log.c.event_id.in_(event_ids))
        return list((await session.execute(query)).all())


def _since(before: dict[str, int], samples: Samples) -> dict[str, int]:
    """The audit queue's delivery outcomes counted since `before` (non-zero ones)."""
    now = deliveries(samples, AUDIT_QUEUE_NAME)
    grown = {outcome: count - before.get(outcome, 0) for outcome, count in now.items()}
    return {outcome: count for outcome, count in grown.items() if count}


async def test_every_event_type_is_stored_once_as_published(
    live_consumer: AsgiFastStream,
    publisher: RabbitBroker,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    before = deliveries(await scrape(live_consumer), AUDIT_QUEUE_NAME)
    events = [
        make_event(EventType.PAYMENT_CREATED),
        make_event(EventType.PAYMENT_FAILED, status="DECLINED"),
        make_event(EventType.REFUND_CREATED, type="REFUND", status="COMPLETED"),
        make_event(EventType.DEPOSIT_COMPLETED, type="DEPOSIT", status="COMPLETED"),
    ]

    for event in [*events, *events]:  # every event delivered twice
        await publish_event(publisher, event)

    async def all_handled() -> bool:
        return sum(_since(before, await scrape(live_consumer)).values()) >= 2 * len(events)

    await eventually(all_handled, timeout_s=TIMEOUT_S)
    # Each event stored by its first delivery, and its second found it already stored.
    assert _since(before, await scrape(live_consumer)) == {
        "processed": len(events),
        "duplicate": len(events),
    }
    stored = await _rows(session_factory, {e.event_id for e in events})
    assert sorted(row.event_id for row in stored) == sorted(event.event_id for event in events)
    rows = {row.event_id: row for row in stored}
    for event in events:
        row = rows[event.event_id]
        assert (row.event_type, row.aggregate_id, row.user_id) == (
            event.event_type.value,
            event.aggregate_id,
            event.user_id,
        )
        assert row.occurred_at == event.occurred_at
        assert row.payload == event.payload


async def test_a_message_that_keeps_failing_is_dead_lettered_while_others_flow(
    live_consumer: AsgiFastStream,
    publisher: RabbitBroker,
    vhost: RabbitVhost,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    # A real, deterministic failure: PostgreSQL's jsonb refuses the \u0000 escape, so
    # the insert fails on every delivery although the envelope is valid JSON.
    poison = make_event(EventType.PAYMENT_CREATED, note="nul \u0000 byte")
    healthy = [make_event(EventType.PAYMENT_CREATED) for _ in range(5)]
    before = deliveries(await scrape(live_consumer), AUDIT_QUEUE_NAME)

    await publish_event(publisher, poison)
    for event in healthy:
        await publish_event(publisher, event)

    found: list[AbstractIncomingMessage] = []

    async def dead_lettered() -> bool:
        found.extend(await queue_messages(vhost.url, AUDIT_DLQ_NAME))
        return bool(found)

    await eventually(dead_lettered, timeout_s=TIMEOUT_S)
    [message] = found
    assert message.message_id == str(poison.event_id)
    death = first_death(message)
    assert death["queue"] == AUDIT_QUEUE_NAME
    assert death["reason"] == "delivery_limit"
    stored = await _rows(session_factory, {e.event_id for e in [poison, *healthy]})
    assert {row.event_id for row in stored} == {event.event_id for event in healthy}
    after = deliveries(await scrape(live_consumer), AUDIT_QUEUE_NAME)
    assert after.get("retried", 0) - before.get("retried", 0) == DELIVERY_LIMIT
    assert after.get("dead_lettered", 0) - before.get("dead_lettered", 0) == 1


async def test_healthz_reports_broker_and_database(live_consumer: AsgiFastStream) -> None:
    response = await get(live_consumer, "/healthz")

    assert response.status_code == 200, response.text
    assert response.json() == {"status": "ok", "checks": {"broker": "ok", "database": "ok"}}
