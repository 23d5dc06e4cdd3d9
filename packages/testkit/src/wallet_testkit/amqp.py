"""RabbitMQ helpers: private virtual hosts, publishing envelopes, reading and collecting
what reaches a queue, dead-letter inspection."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from contextlib import asynccontextmanager
from typing import Any, Final
from urllib.parse import quote, unquote, urlsplit, urlunsplit
from uuid import UUID, uuid4

import aio_pika
import pytest
from aio_pika.abc import AbstractIncomingMessage, AbstractRobustConnection
from faststream.rabbit import RabbitBroker, RabbitExchange
from wallet_domain.model.events import DomainEvent
from wallet_infra.messaging.broker import make_broker
from wallet_infra.messaging.envelope import CONTENT_TYPE, encode_envelope
from wallet_infra.messaging.topology import EVENTS_EXCHANGE, declare_topology

from wallet_testkit.polling import eventually

# The fields of the event envelope, as docs/events.md states them (on purpose not read
# from infra's encoder: the tests hold the encoder to this list).
ENVELOPE_FIELDS: Final = frozenset(
    {
        "event_id",
        "event_type",
        "occurred_at",
        "aggregate_id",
        "user_id",
        "schema_version",
        "payload",
    }
)

# `rabbitmqctl` with its arguments after the command prefix, e.g. broker_control.RabbitControl.
RabbitCtl = Callable[..., Any]


# --------------------------------------------------------------------------- virtual hosts


def with_vhost(amqp_url: str, vhost: str) -> str:
    """`amqp_url` pointing at virtual host `vhost`."""
    return urlunsplit(urlsplit(amqp_url)._replace(path="/" + quote(vhost, safe="")))


def amqp_user(amqp_url: str) -> str:
    return unquote(urlsplit(amqp_url).username or "guest")


class RabbitVhost:
    """A private virtual host on the test broker (`<prefix><random>`), so a test neither
    sees nor takes other tests' messages; `create()` it, `delete()` it after."""

    def __init__(self, control: RabbitCtl, base_url: str, *, prefix: str) -> None:
        self._control = control
        self.name = f"{prefix}{uuid4().hex[:12]}"
        self.url = with_vhost(base_url, self.name)
        self._user = amqp_user(base_url)

    def create(self) -> None:
        self._control("add_vhost", self.name)
        self._control("set_permissions", "-p", self.name, self._user, ".*", ".*", ".*")

    def delete(self) -> None:
        self._control("delete_vhost", self.name)


@contextlib.contextmanager
def private_vhost(
    control: RabbitCtl | None, base_url: str, *, prefix: str
) -> Iterator[RabbitVhost]:
    """A created `RabbitVhost`, deleted on the way out. `control` is conftest's
    `rabbit_control_and_url[0]`: None (no `rabbitmqctl`) fails the test."""
    if control is None:
        pytest.fail("these tests need `rabbitmqctl` to create a virtual host")
    vhost = RabbitVhost(control, base_url, prefix=prefix)
    vhost.create()
    try:
        yield vhost
    finally:
        vhost.delete()


@contextlib.contextmanager
def scratch_vhost(amqp_url: str, *, prefix: str) -> Iterator[str]:
    """`amqp_url` on a fresh virtual host if a local `rabbitmqctl` can make one (deleted
    afterwards), else `amqp_url` unchanged. For the benchmarks: best effort, no failure."""
    ctl = shutil.which("rabbitmqctl")
    vhost = f"{prefix}{uuid4().hex[:8]}"
    if ctl is None or subprocess.run([ctl, "-q", "add_vhost", vhost], check=False).returncode:  # noqa: S603
        yield amqp_url
        return
    try:
        user = urlsplit(amqp_url).username or "guest"
        subprocess.run(  # noqa: S603
            [ctl, "-q", "set_permissions", "-p", vhost, user, ".*", ".*", ".*"], check=True
        )
        yield with_vhost(amqp_url, vhost)
    finally:
        subprocess.run([ctl, "-q", "delete_vhost", vhost], check=False)  # noqa: S603


# --------------------------------------------------------------------------- publishing


@asynccontextmanager
async def connected_broker(amqp_url: str) -> AsyncIterator[RabbitBroker]:
    """The infra FastStream broker, connected; stopped on the way out."""
    broker = make_broker(amqp_url)
    await broker.connect()
    try:
        yield broker
    finally:
        await broker.stop()


async def ensure_topology(amqp_url: str) -> None:
    """Declare the topology (what every relay does at start-up), so queues exist."""
    async with connected_broker(amqp_url) as broker:
        await declare_topology(broker)


async def publish_event(broker: RabbitBroker, event: DomainEvent) -> None:
    """`event` as the relay publishes it: its envelope, persistent and mandatory, to the
    events exchange under its type, `message_id` = `event_id`."""
    await publish_body(
        broker, encode_envelope(event), event.event_type.value, message_id=str(event.event_id)
    )


async def publish_body(
    broker: RabbitBroker,
    body: bytes,
    routing_key: str = "payment.created",
    *,
    message_id: str | None = None,
    exchange: RabbitExchange = EVENTS_EXCHANGE,
) -> None:
    """`body` (an envelope or anything else) to `exchange` (the events one by default)
    under `routing_key`, persistent and mandatory as the relay and the ingest publish."""
    await broker.publish(
        body,
        exchange=exchange,
        routing_key=routing_key,
        message_id=message_id,
        content_type=CONTENT_TYPE,
        persist=True,
        mandatory=True,
    )


# --------------------------------------------------------------------------- reading queues


async def queue_messages(amqp_url: str, queue: str) -> list[AbstractIncomingMessage]:
    """Every message now ready in `queue` (e.g. a DLQ), taken off it (acknowledged)."""
    connection = await aio_pika.connect(amqp_url)
    try:
        channel = await connection.channel()
        source = await channel.get_queue(queue, ensure=True)
        found = []
        while (message := await source.get(no_ack=True, fail=False)) is not None:
            found.append(message)
        return found
    finally:
        await connection.close()


def first_death(message: AbstractIncomingMessage) -> dict[str, Any]:
    """The first `x-death` record RabbitMQ put on a dead-lettered message."""
    deaths: Any = message.headers["x-death"]
    return dict(deaths[0])


async def purge_queues(amqp_url: str, *names: str) -> None:
    """Empty `names` (the topology declared first, so they exist)."""
    await ensure_topology(amqp_url)
    connection = await aio_pika.connect(amqp_url)
    try:
        channel = await connection.channel()
        for name in names:
            queue = await channel.get_queue(name, ensure=True)
            await queue.purge()
    finally:
        await connection.close()


class QueueCollector:
    """Consumes a queue of the topology (declared first), acking everything, and
    remembers each message by event_id (`message_id`). `purge=True` empties the queue
    before consuming; `prefetch` None leaves the channel's default (unlimited)."""

    def __init__(
        self, amqp_url: str, queue: str, *, purge: bool = False, prefetch: int | None = 1000
    ) -> None:
        self._url = amqp_url
        self._queue_name = queue
        self._purge = purge
        self._prefetch = prefetch
        self.messages: dict[UUID, AbstractIncomingMessage] = {}
        self.deliveries = 0
        self._connection: AbstractRobustConnection | None = None

    async def __aenter__(self) -> QueueCollector:
        await ensure_topology(self._url)
        self._connection = await aio_pika.connect_robust(self._url)
        channel = await self._connection.channel()
        if self._prefetch is not None:
            await channel.set_qos(prefetch_count=self._prefetch)
        queue = await channel.get_queue(self._queue_name, ensure=True)
        if self._purge:
            await queue.purge()
        await queue.consume(self._on_message)
        return self

    async def __aexit__(self, *_: object) -> None:
        if self._connection is not None:
            await self._connection.close()

    async def _on_message(self, message: AbstractIncomingMessage) -> None:
        self.deliveries += 1
        if message.message_id:
            self.messages[UUID(message.message_id)] = message
        await message.ack()

    def missing(self, expected: Iterable[UUID]) -> set[UUID]:
        return set(expected) - self.messages.keys()

    async def wait_for(self, expected: Iterable[UUID], *, timeout_s: float) -> float:
        """Until every `expected` event_id has arrived; the seconds it took."""
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
