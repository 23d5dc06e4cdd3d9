"""Helpers for the in-process relay tests: seed events, collect deliveries, run a service."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from uuid import UUID

import aio_pika
from aio_pika.abc import AbstractIncomingMessage
from dishka import Provider
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncEngine
from wallet_domain.model.events import DomainEvent, EventType
from wallet_infra.config.settings import Settings
from wallet_infra.ids import UuidV7Generator
from wallet_infra.messaging.broker import make_broker
from wallet_infra.messaging.topology import declare_topology
from wallet_infra.persistence.engine import make_engine, make_session_factory
from wallet_infra.persistence.outbox import SqlaOutboxWriter
from wallet_infra.persistence.tables import outbox
from wallet_relay.app import serve

_ids = UuidV7Generator()


async def eventually(
    check: Callable[[], Awaitable[bool]], *, timeout_s: float, interval_s: float = 0.05
) -> float:
    """Poll `check` until true; the seconds it took. Fails after `timeout_s`."""
    start = time.monotonic()
    while not await check():
        if time.monotonic() - start > timeout_s:
            raise AssertionError(f"condition not met within {timeout_s}s")
        await asyncio.sleep(interval_s)
    return time.monotonic() - start


class Outbox:
    """The private database's outbox, written the way the API writes it."""

    def __init__(self, dsn: str) -> None:
        self.engine: AsyncEngine = make_engine(dsn, pool_size=2)
        self._sessions = make_session_factory(self.engine)

    async def clear(self) -> None:
        async with self._sessions() as session:
            await session.execute(delete(outbox))
            await session.commit()

    async def add(
        self, count: int, event_type: EventType = EventType.DEPOSIT_COMPLETED
    ) -> list[UUID]:
        events = [
            DomainEvent(
                event_id=_ids.new_id(),
                event_type=event_type,
                occurred_at=datetime.now(UTC),
                aggregate_id=_ids.new_id(),
                user_id="relay-test",
                payload={"n": n},
            )
            for n in range(count)
        ]
        async with self._sessions() as session:
            writer = SqlaOutboxWriter(session=session)
            for event in events:
                await writer.add(event)
            await session.commit()
        return [event.event_id for event in events]

    async def unsent(self) -> int:
        async with self._sessions() as session:
            query = select(func.count()).select_from(outbox).where(outbox.c.sent_at.is_(None))
            return int((await session.execute(query)).scalar_one())

    async def close(self) -> None:
        await self.engine.dispose()


class Deliveries:
    """Everything that reaches a queue, by event_id."""

    def __init__(self) -> None:
        self.ids: set[UUID] = set()

    async def on_message(self, message: AbstractIncomingMessage) -> None:
        if message.message_id:
            self.ids.add(UUID(message.message_id))
        await message.ack()

    async def wait_for(self, expected: list[UUID], *, timeout_s: float) -> float:
        async def arrived() -> bool:
            return set(expected) <= self.ids

        return await eventually(arrived, timeout_s=timeout_s)


@asynccontextmanager
async def collecting(amqp_url: str, queue: str) -> AsyncIterator[Deliveries]:
    deliveries = Deliveries()
    broker = make_broker(amqp_url)
    await broker.connect()
    try:
        await declare_topology(broker)
    finally:
        await broker.stop()
    connection = await aio_pika.connect_robust(amqp_url)
    try:
        channel = await connection.channel()
        declared = await channel.get_queue(queue, ensure=True)
        await declared.purge()
        await declared.consume(deliveries.on_message)
        yield deliveries
    finally:
        await connection.close()


@asynccontextmanager
async def running_relay(
    settings: Settings, *overrides: Provider
) -> AsyncIterator[asyncio.Task[None]]:
    """`serve()` as a task; stopped (gracefully, through its stop event) on exit."""
    stop = asyncio.Event()
    task = asyncio.create_task(serve(settings, *overrides, stop=stop))
    try:
        yield task
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=20)
