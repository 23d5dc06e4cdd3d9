"""Helpers for the messaging tests against the real broker (the session's vhost)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urlsplit, urlunsplit

import aio_pika
from aio_pika.abc import AbstractIncomingMessage, AbstractRobustConnection
from wallet_testkit.amqp import connected_broker as connected_broker


@asynccontextmanager
async def amqp_connection(amqp_url: str) -> AsyncIterator[AbstractRobustConnection]:
    connection = await aio_pika.connect_robust(amqp_url)
    try:
        yield connection
    finally:
        await connection.close()


async def get_message(
    connection: AbstractRobustConnection,
    queue: str,
    *,
    timeout_s: float = 5.0,
    auto_ack: bool = True,
) -> AbstractIncomingMessage:
    """The next message of `queue`, polling until `timeout_s`; with `auto_ack=False` the
    caller settles it."""
    channel = await connection.channel()
    declared = await channel.get_queue(queue, ensure=True)
    deadline = time.monotonic() + timeout_s
    while True:
        message = await declared.get(no_ack=auto_ack, fail=False)
        if message is not None:
            return message
        if time.monotonic() > deadline:
            raise AssertionError(f"nothing arrived on {queue} within {timeout_s}s")
        await asyncio.sleep(0.02)


async def drain(connection: AbstractRobustConnection, *queues: str) -> None:
    channel = await connection.channel()
    for name in queues:
        await (await channel.get_queue(name, ensure=True)).purge()


class HeldBroker:
    """A TCP relay to the broker whose broker → client direction can be held: what the
    broker sends meanwhile (confirms, returns) waits here until `release()`, as if the
    broker were slow to answer. Connect through `url`."""

    def __init__(self, amqp_url: str) -> None:
        parts = urlsplit(amqp_url)
        self._target = (parts.hostname or "localhost", parts.port or 5672)
        self._parts = parts
        self._flowing = asyncio.Event()
        self._flowing.set()
        self._pumps: set[asyncio.Task[None]] = set()
        self._server: asyncio.Server | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        port = self._server.sockets[0].getsockname()[1]
        credentials = self._parts.netloc.rpartition("@")[0]
        return urlunsplit(self._parts._replace(netloc=f"{credentials}@127.0.0.1:{port}"))

    def hold(self) -> None:
        self._flowing.clear()

    def release(self) -> None:
        self._flowing.set()

    async def __aenter__(self) -> HeldBroker:
        self._server = await asyncio.start_server(self._connected, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *_: object) -> None:
        assert self._server is not None
        self._server.close()
        for pump in self._pumps:
            pump.cancel()
        await asyncio.gather(*self._pumps, return_exceptions=True)
        await self._server.wait_closed()

    async def _connected(
        self, client_in: asyncio.StreamReader, client_out: asyncio.StreamWriter
    ) -> None:
        broker_in, broker_out = await asyncio.open_connection(*self._target)
        for pump in (
            self._pump(client_in, broker_out, None),
            self._pump(broker_in, client_out, self._flowing),
        ):
            task = asyncio.create_task(pump)
            self._pumps.add(task)
            task.add_done_callback(self._pumps.discard)

    @staticmethod
    async def _pump(
        source: asyncio.StreamReader, sink: asyncio.StreamWriter, gate: asyncio.Event | None
    ) -> None:
        try:
            while data := await source.read(65536):
                if gate is not None:
                    await gate.wait()
                sink.write(data)
                await sink.drain()
        finally:
            sink.close()
            with contextlib.suppress(Exception):
                await sink.wait_closed()
