"""Connect to RabbitMQ and declare the topology, retrying until it works or we stop.

Only the first connection needs this loop: once connected, aio-pika's robust connection
reconnects by itself and re-declares what was declared, and the relay loop backs off
on `BrokerUnavailable` in the meantime.
"""

from __future__ import annotations

import asyncio
import contextlib

import structlog
from faststream.rabbit import RabbitBroker
from wallet_infra.messaging.topology import declare_topology

from wallet_relay.backoff import Backoff

_log = structlog.get_logger(__name__)


async def sleep_unless_stopped(stop: asyncio.Event, delay_s: float) -> None:
    """Sleep `delay_s`, returning early if `stop` is set."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(delay_s):
            await stop.wait()


async def start_broker(broker: RabbitBroker, *, stop: asyncio.Event, max_backoff_s: float) -> bool:
    """True once connected with the topology declared; False if stopped first."""
    backoff = Backoff(max_s=max_backoff_s)
    while not stop.is_set():
        try:
            await broker.connect()
            await declare_topology(broker)
        except Exception as error:
            delay = backoff.next_delay()
            _log.warning(
                "RabbitMQ not ready, retrying",
                error=type(error).__name__,
                retry_in_s=round(delay, 2),
                attempt=backoff.failures,
            )
            await sleep_unless_stopped(stop, delay)
            continue
        _log.info("connected to RabbitMQ, topology declared")
        return True
    return False
