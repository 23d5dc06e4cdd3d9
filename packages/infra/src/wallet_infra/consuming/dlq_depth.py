"""`wallet_consumer_dlq_depth{queue}`: messages waiting in a consumer's dead-letter queue.

Refreshed every `interval_s` by a passive queue declare (one round trip; RabbitMQ answers
with the message count, nothing is consumed). A message in a DLQ is an event a consumer
could not handle: alert on any non-zero value.
"""

from __future__ import annotations

from typing import Final

from faststream.rabbit import RabbitBroker, RabbitQueue
from prometheus_client import CollectorRegistry, Gauge

from wallet_infra.runtime.periodic import Periodic

INTERVAL_S: Final = 10.0


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
        self._gauge = Gauge(
            "wallet_consumer_dlq_depth",
            "Messages waiting in the dead-letter queue (refreshed periodically).",
            ["queue"],
            registry=registry,
        ).labels(dlq.name)
        # Broker away: the gauge keeps its last value until a round reads it again.
        self._periodic = Periodic(
            self.refresh,
            interval_s=interval_s,
            task_name=f"dlq-depth-{dlq.name}",
            failure_event="dlq_depth_unavailable",
            queue=dlq.name,
        )

    async def refresh(self) -> int:
        """Read the DLQ's depth now (and set the gauge)."""
        queue = await self._broker.declare_queue(self._dlq)  # declared at start-up: cached
        channel = await queue.channel.get_underlay_channel()
        declared = await channel.queue_declare(queue=self._dlq.name, passive=True)
        depth = int(declared.message_count or 0)
        self._gauge.set(depth)
        return depth

    async def start(self) -> None:
        """FastStream `after_startup` hook: the topology is declared by then."""
        await self._periodic.start()

    async def stop(self) -> None:
        """FastStream `on_shutdown` hook."""
        await self._periodic.stop()
