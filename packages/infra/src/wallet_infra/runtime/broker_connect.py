"""The first connection to RabbitMQ, with the topology declared, retried with stamina.

Only the first connection needs it: once connected, aio-pika's robust connection
reconnects (and re-declares) by itself. A consumer retries for a bounded budget and then
fails its start-up, so its supervisor restarts it (a signal cannot interrupt an ASGI
start-up: uvicorn only acts on SIGTERM once the lifespan has started). The relay retries
until it is stopped: its events wait safely in the database meanwhile.
"""

from __future__ import annotations

import asyncio
from typing import Final

import stamina
import structlog
from faststream.rabbit import RabbitBroker

from wallet_infra.messaging.topology import declare_topology
from wallet_infra.runtime.cancel import cancel_and_wait

CONSUMER_BUDGET_S: Final = 30.0
FIRST_DELAY_S: Final = 0.2
MAX_DELAY_S: Final = 5.0

_log = structlog.get_logger("wallet.broker")


async def connect_broker(
    broker: RabbitBroker, *, budget_s: float | None, max_delay_s: float = MAX_DELAY_S
) -> None:
    """Return once connected with the topology declared. With a budget, re-raise the last
    error once it is spent; without one, retry until cancelled."""
    attempts = 0
    try:
        async for attempt in stamina.retry_context(
            on=Exception,
            attempts=None,
            timeout=budget_s,
            wait_initial=FIRST_DELAY_S,
            wait_max=max_delay_s,
            wait_jitter=FIRST_DELAY_S,
        ):
            with attempt:
                attempts = attempt.num
                try:
                    await broker.connect()
                    await declare_topology(broker)
                except Exception as error:
                    _log.warning(
                        "rabbitmq_not_ready_retrying", error=type(error).__name__, attempt=attempts
                    )
                    raise
    except Exception:
        _log.error("rabbitmq_unreachable_giving_up", attempts=attempts)
        raise
    _log.info("rabbitmq_connected_topology_declared")


async def connect_broker_unless_stopped(
    broker: RabbitBroker, *, stop: asyncio.Event, max_delay_s: float = MAX_DELAY_S
) -> bool:
    """`connect_broker` with no budget: True once connected, False if `stop` came first."""
    connecting = asyncio.create_task(connect_broker(broker, budget_s=None, max_delay_s=max_delay_s))
    stopping = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait({connecting, stopping}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (connecting, stopping):
            if not task.done():
                await cancel_and_wait(task)
    return connecting.done() and not connecting.cancelled() and connecting.exception() is None
