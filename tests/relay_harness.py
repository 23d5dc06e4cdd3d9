"""Helpers for the cross-process relay tests: seed the outbox, run `wallet-relay`
processes, and collect what reaches the queues."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime
from typing import Any, Final
from uuid import UUID

import aio_pika
import asyncpg  # type: ignore[import-untyped]
import orjson
import uuid_utils
from wallet_domain.model.events import EventType
from wallet_infra.messaging.broker import make_broker
from wallet_infra.messaging.topology import declare_topology

EVENT_TYPES: Final = tuple(EventType)
OUTBOX_COLUMNS: Final = (
    "event_id",
    "event_type",
    "aggregate_id",
    "user_id",
    "occurred_at",
    "schema_version",
    "payload",
    "traceparent",
)
STOP_TIMEOUT_S: Final = 20.0


def new_event_id() -> UUID:
    return UUID(str(uuid_utils.uuid7()))


async def seed_outbox(dsn: str, count: int, *, prefix: str = "seed") -> list[UUID]:
    """Insert `count` unsent events in one COPY (which fires the NOTIFY trigger once)."""
    now = datetime.now(UTC)
    records = []
    ids = []
    for i in range(count):
        event_id = new_event_id()
        ids.append(event_id)
        payload = orjson.dumps({"n": i, "amount": 100 + i, "currency": "USD"}).decode()
        traceparent = f"00-{event_id.hex}-{event_id.hex[:16]}-01"
        event_type = EVENT_TYPES[i % len(EVENT_TYPES)].value
        records.append(
            (event_id, event_type, event_id, f"{prefix}-{i % 50}", now, 1, payload, traceparent)
        )
    connection = await asyncpg.connect(dsn)
    try:
        await connection.copy_records_to_table(
            "outbox", records=records, columns=list(OUTBOX_COLUMNS)
        )
    finally:
        await connection.close()
    return ids


async def write_events(dsn: str, count: int) -> list[UUID]:
    """Commit `count` deposit events through the API's own outbox writer, one transaction."""
    from wallet_domain.model.events import DomainEvent
    from wallet_infra.persistence.engine import make_engine, make_session_factory
    from wallet_infra.persistence.outbox import SqlaOutboxWriter

    engine = make_engine(dsn, pool_size=1)
    try:
        async with make_session_factory(engine)() as session:
            writer = SqlaOutboxWriter(session=session)
            events = [
                DomainEvent(
                    event_id=new_event_id(),
                    event_type=EventType.DEPOSIT_COMPLETED,
                    occurred_at=datetime.now(UTC),
                    aggregate_id=new_event_id(),
                    user_id="outage-test",
                    payload={"amount": 500 + n, "currency": "EUR"},
                )
                for n in range(count)
            ]
            for event in events:
                await writer.add(event)
            await session.commit()
    finally:
        await engine.dispose()
    return [event.event_id for event in events]


async def unsent_count(dsn: str) -> int:
    connection = await asyncpg.connect(dsn)
    try:
        return int(await connection.fetchval("SELECT count(*) FROM outbox WHERE sent_at IS NULL"))
    finally:
        await connection.close()


async def eventually(
    check: Callable[[], Awaitable[bool]], *, timeout_s: float, interval_s: float = 0.05
) -> float:
    """Poll `check` until true; returns the seconds it took, fails after `timeout_s`."""
    start = time.monotonic()
    while not await check():
        if time.monotonic() - start > timeout_s:
            raise AssertionError(f"condition not met within {timeout_s}s")
        await asyncio.sleep(interval_s)
    return time.monotonic() - start


async def ensure_topology(amqp_url: str) -> None:
    """Declare the §8 topology (what every relay does at start-up), so queues exist."""
    broker = make_broker(amqp_url)
    await broker.connect()
    try:
        await declare_topology(broker)
    finally:
        await broker.stop()


class QueueCollector:
    """Consumes a queue (acking everything) and remembers each message by event_id."""

    def __init__(self, amqp_url: str, queue: str) -> None:
        self._url = amqp_url
        self._queue_name = queue
        self.messages: dict[UUID, aio_pika.abc.AbstractIncomingMessage] = {}
        self.deliveries = 0
        self._connection: aio_pika.abc.AbstractRobustConnection | None = None

    async def __aenter__(self) -> QueueCollector:
        await ensure_topology(self._url)
        self._connection = await aio_pika.connect_robust(self._url)
        channel = await self._connection.channel()
        await channel.set_qos(prefetch_count=1000)
        queue = await channel.get_queue(self._queue_name, ensure=True)
        await queue.consume(self._on_message)
        return self

    async def __aexit__(self, *_: object) -> None:
        if self._connection is not None:
            await self._connection.close()

    async def _on_message(self, message: aio_pika.abc.AbstractIncomingMessage) -> None:
        self.deliveries += 1
        if message.message_id is not None:
            self.messages[UUID(message.message_id)] = message
        await message.ack()

    def missing(self, expected: Iterable[UUID]) -> set[UUID]:
        return set(expected) - self.messages.keys()

    async def wait_for(self, expected: Iterable[UUID], *, timeout_s: float) -> float:
        wanted = set(expected)

        async def arrived() -> bool:
            return not (wanted - self.messages.keys())

        try:
            return await eventually(arrived, timeout_s=timeout_s)
        except AssertionError:
            raise AssertionError(
                f"{len(self.missing(wanted))} of {len(wanted)} events never reached "
                f"{self._queue_name} within {timeout_s}s"
            ) from None


async def purge_queues(amqp_url: str, *names: str) -> None:
    await ensure_topology(amqp_url)
    connection = await aio_pika.connect(amqp_url)
    try:
        channel = await connection.channel()
        for name in names:
            queue = await channel.get_queue(name, ensure=True)
            await queue.purge()
    finally:
        await connection.close()


class RelayProcess:
    """One `python -m wallet_relay` subprocess; always `close()` it (in a finally)."""

    def __init__(self, *, database_url: str, amqp_url: str, **settings: Any) -> None:
        env = {
            **os.environ,
            "WALLET_DATABASE_URL": database_url,
            "WALLET_AMQP_URL": amqp_url,
            "WALLET_LOG_FORMAT": "json",
            "WALLET_DB_POOL_SIZE": "2",
            "WALLET_DB_MAX_OVERFLOW": "2",
        }
        env.update({f"WALLET_{key.upper()}": str(value) for key, value in settings.items()})
        env.pop("WALLET_CONFIG_FILE", None)
        # A file, not a pipe: a pipe nobody reads fills up and blocks the relay's logging.
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 - closed in close()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "wallet_relay"],
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        if self.alive():
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=STOP_TIMEOUT_S)

    def terminate(self) -> int:
        """SIGTERM and wait: the exit code of a graceful stop."""
        if self.alive():
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=STOP_TIMEOUT_S)

    def close(self) -> str:
        """Stop the process whatever its state; returns its output (the log)."""
        try:
            self.terminate()
        except subprocess.TimeoutExpired:
            self.kill()
        finally:
            if self.alive():
                self.kill()
        log = self.log()
        self._log.close()
        return log

    def log(self) -> str:
        self._log.seek(0)
        return self._log.read().decode(errors="replace")
