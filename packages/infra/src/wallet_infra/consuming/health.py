"""A consumer's health: connected to the broker, and the database answers.

Each check reports a fixed word ("ok", "disconnected", "unreachable", "timeout"), never
an exception's text, so the probe leaks nothing about DSNs or drivers.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Final

from faststream.rabbit import RabbitBroker
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

OK: Final = "ok"
_PING: Final = text("SELECT 1")


@dataclass(frozen=True, slots=True)
class Health:
    checks: dict[str, str]

    @property
    def healthy(self) -> bool:
        return all(value == OK for value in self.checks.values())


class ConsumerHealth:
    """Probed by `/healthz`; cheap enough for a probe every few seconds."""

    def __init__(
        self, *, broker: RabbitBroker, engine: AsyncEngine, timeout_s: float = 2.0
    ) -> None:
        self._broker = broker
        self._engine = engine
        self._timeout_s = timeout_s

    async def check(self) -> Health:
        broker, database = await asyncio.gather(self._broker_state(), self._database_state())
        return Health({"broker": broker, "database": database})

    async def _broker_state(self) -> str:
        # ping() only reads the robust connection's state: no round trip to RabbitMQ.
        connected = await self._broker.ping(timeout=self._timeout_s)
        return OK if connected else "disconnected"

    async def _database_state(self) -> str:
        try:
            async with asyncio.timeout(self._timeout_s), self._engine.connect() as conn:
                await conn.execute(_PING)
        except TimeoutError:
            return "timeout"
        except Exception:
            return "unreachable"
        return OK
