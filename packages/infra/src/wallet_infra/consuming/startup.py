"""Connect a consumer to RabbitMQ and declare the topology, waiting out a broker that is
not up yet (`make run` starts everything at once; RabbitMQ takes seconds to accept).

Retries with jittered exponential backoff for at most `budget_s`, then gives up: the
start-up fails and the process exits non-zero for its supervisor to restart it. The
budget is bounded because a signal cannot interrupt an ASGI start-up: uvicorn only acts
on SIGTERM once the lifespan has started. After the first connection, aio-pika's robust
connection reconnects (and re-declares) by itself.
"""

from __future__ import annotations

import asyncio
import random
import time
from typing import Final

import structlog
from faststream.rabbit import RabbitBroker

from wallet_infra.messaging.topology import declare_topology

BUDGET_S: Final = 30.0
FIRST_DELAY_S: Final = 0.2
MAX_DELAY_S: Final = 5.0

_log = structlog.get_logger("wallet.consumer")


async def connect_and_declare(broker: RabbitBroker, *, budget_s: float = BUDGET_S) -> None:
    """Return once connected with the topology declared; re-raise the last error when
    the budget is spent."""
    deadline = time.monotonic() + budget_s
    attempt = 0
    while True:
        try:
            await broker.connect()
            await declare_topology(broker)
        except Exception as error:
            ceiling = min(MAX_DELAY_S, FIRST_DELAY_S * 2.0**attempt)
            delay = random.uniform(ceiling / 2, ceiling)  # noqa: S311 - jitter, not crypto
            attempt += 1
            if time.monotonic() + delay > deadline:
                _log.error("rabbitmq_unreachable_giving_up", attempts=attempt)
                raise
            _log.warning(
                "rabbitmq_not_ready_retrying",
                error=type(error).__name__,
                attempt=attempt,
                retry_in_s=round(delay, 2),
            )
            await asyncio.sleep(delay)
            continue
        _log.info("rabbitmq_connected_topology_declared")
        return
