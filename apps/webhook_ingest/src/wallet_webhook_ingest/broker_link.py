"""The ingest's way to RabbitMQ: connect and declare the topology in the background,
retrying until RabbitMQ answers (`connect_broker`, no budget), so the process serves (and
answers webhooks 503) while the broker is still away instead of failing its start-up.
Once connected, aio-pika's robust connection reconnects by itself.

`/readyz` reports the `topology` check `pending` until the first declaration went
through: before it, a publish would come back unroutable.
"""

from __future__ import annotations

import asyncio

from faststream.rabbit import RabbitBroker
from wallet_infra.health import OK
from wallet_infra.runtime.broker_connect import connect_broker
from wallet_infra.runtime.cancel import cancel_and_wait


class BrokerLink:
    def __init__(self, broker: RabbitBroker) -> None:
        self._broker = broker
        self._task: asyncio.Task[None] | None = None
        self._declared = False

    async def start(self) -> None:
        self._task = asyncio.create_task(self._connect(), name="ingest-broker-connect")

    async def _connect(self) -> None:
        await connect_broker(self._broker, budget_s=None)
        self._declared = True

    async def stop(self) -> None:
        await cancel_and_wait(self._task)
        self._task = None

    async def check(self) -> dict[str, str]:
        """A health check: `topology` declared since start-up (`ok`) or `pending`."""
        return {"topology": OK if self._declared else "pending"}
