"""`wallet_consumer_dlq_depth{queue}`: messages waiting in a consumer's dead-letter queue.

Refreshed every `interval_s` by a passive queue declare (one round trip; RabbitMQ answers
with the message count, nothing is consumed). A message in a DLQ is an event a consumer
could not handle: alert on any non-zero value.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Final

import structlog
from faststream.rabbit import RabbitBroker, RabbitQueue
from prometheus_client import CollectorRegistry, Gauge

INTERVAL_S: Final = 10.0

_log = structlog.get_logger("wallet.consumer")


class DlqDepth:
    def __init__(
        self,
        *,
        broker: RabbitBroker,
        dlq: RabbitQueue,
        registry: CollectorRegistry,
        interval_s: float = INTERVAL_S,
    ) -> None:
        self._broker = broker
        self._dlq = dlq
        self._interval_s = interval_s
        self._gauge = Gauge(
            "wallet_consumer_dlq_depth",
            "Messages waiting in the dead-letter queue (refreshed periodically).",
            ["queue"],
            registry=registry,
        ).labels(dlq.name)
        self._task: asyncio.Task[None] | None = None

    async def refresh(self) -> int:
        """Read the DLQ's depth now (and set the gauge)."""
        queue = await self._broker.declare_queue(self._dlq)  # declared at start-up: cached
        channel = await queue.channel.get_underlay_channel()
        declared = await channel.queue_declare(queue=self._dlq.name, passive=True)
        depth = int(declared.message_count or 0)
        self._gauge.set(depth)
        return depth

    async def _run(self) -> None:
        while True:
            try:
                await self.refresh()
            except Exception as error:  # broker away: keep the last value, retry later
                _log.warning(
                    "dlq_depth_unavailable", queue=self._dlq.name, error=type(error).__name__
                )
            await asyncio.sleep(self._interval_s)

    async def start(self) -> None:
        """FastStream `after_startup` hook: the topology is declared by then."""
        self._task = asyncio.create_task(self._run(), name=f"dlq-depth-{self._dlq.name}")

    async def stop(self) -> None:
        """FastStream `on_shutdown` hook."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
