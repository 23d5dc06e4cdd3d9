"""Helpers for the in-process relay tests: seed events, collect deliveries, run a service.
The generic pieces (outbox access, queue collector, polling) are wallet_testkit's."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from uuid import UUID

from dishka import Provider
from sqlalchemy import select
from wallet_domain.model.events import DomainEvent, EventType
from wallet_infra.config.settings import Settings
from wallet_infra.ids import UuidV7Generator
from wallet_infra.persistence.tables import outbox as outbox_table
from wallet_relay.main import make_app
from wallet_testkit import outbox
from wallet_testkit.amqp import QueueCollector

_ids = UuidV7Generator()


class Outbox(outbox.Outbox):
    """The private database's outbox, written the way the API writes it."""

    async def add(
        self, count: int, event_type: EventType = EventType.DEPOSIT_COMPLETED
    ) -> list[UUID]:
        return await self.add_each(*[event_type] * count)

    async def add_each(self, *event_types: EventType) -> list[UUID]:
        """One event of each type, in that order, in one commit."""
        return await self.write(
            DomainEvent(
                event_id=_ids.new_id(),
                event_type=event_type,
                occurred_at=datetime.now(UTC),
                aggregate_id=_ids.new_id(),
                user_id="relay-test",
                payload={"n": n},
            )
            for n, event_type in enumerate(event_types)
        )

    async def sent_at(self, event_ids: list[UUID]) -> dict[UUID, datetime | None]:
        """Each event's `sent_at` (the relay stamps one time per batch)."""
        query = select(outbox_table.c.event_id, outbox_table.c.sent_at).where(
            outbox_table.c.event_id.in_(event_ids)
        )
        async with self.engine.connect() as connection:
            return {row.event_id: row.sent_at for row in await connection.execute(query)}


def collecting(amqp_url: str, queue: str) -> QueueCollector:
    """Everything that reaches `queue` (emptied first), by event_id: `async with` it."""
    return QueueCollector(amqp_url, queue, purge=True, prefetch=None)


@asynccontextmanager
async def running_relay(
    settings: Settings, *overrides: Provider
) -> AsyncIterator[asyncio.Task[None]]:
    """The relay (`make_app(...).run`) as a task; stopped (gracefully, through its stop
    event) on exit."""
    stop = asyncio.Event()
    task = asyncio.create_task(make_app(*overrides, settings=settings).run(stop))
    try:
        yield task
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=20)
