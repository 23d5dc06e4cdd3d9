"""Helpers for the messaging tests against the real broker (the session's vhost)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

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
