"""`/readyz` checks: database, broker, schema version (docs/api.md, Probes).

Each check reports a fixed word ("ok", "unreachable", "timeout", "version_mismatch",
"dirty"), never an exception's text. The broker check is a TCP connect, cached for a
few seconds so frequent probes do not hammer RabbitMQ.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass
from typing import Final
from urllib.parse import urlsplit

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

OK: Final = "ok"
_SCHEMA_SQL: Final = text("SELECT version, dirty FROM schema_migrations")
_AMQP_PORTS: Final = {"amqp": 5672, "amqps": 5671}


@dataclass(frozen=True, slots=True)
class Readiness:
    checks: dict[str, str]

    @property
    def ready(self) -> bool:
        return all(v == OK for v in self.checks.values())


class ReadinessProbe:
    def __init__(
        self,
        *,
        engine: AsyncEngine,
        amqp_url: str,
        expected_schema_version: int,
        timeout_s: float = 2.0,
        broker_cache_s: float = 5.0,
    ) -> None:
        self._engine = engine
        parts = urlsplit(amqp_url)
        self._broker = (
            parts.hostname or "localhost",
            parts.port or _AMQP_PORTS.get(parts.scheme, 5672),
        )
        self._expected = expected_schema_version
        self._timeout_s = timeout_s
        self._broker_cache_s = broker_cache_s
        self._broker_result: tuple[float, str] | None = None

    async def check(self) -> Readiness:
        (database, schema), broker = await asyncio.gather(self._database(), self._cached_broker())
        return Readiness({"database": database, "broker": broker, "schema": schema})

    async def _database(self) -> tuple[str, str]:
        """(database, schema) — one connection answers both."""
        try:
            async with asyncio.timeout(self._timeout_s), self._engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
                rows = (await conn.execute(_SCHEMA_SQL)).all()
        except TimeoutError:
            return "timeout", "unknown"
        except Exception:
            return "unreachable", "unknown"
        if len(rows) != 1 or rows[0].version != self._expected:
            return OK, "version_mismatch"
        return OK, "dirty" if rows[0].dirty else OK

    async def _cached_broker(self) -> str:
        now = time.monotonic()
        if self._broker_result is not None and now - self._broker_result[0] < self._broker_cache_s:
            return self._broker_result[1]
        result = await self._broker_reachable()
        self._broker_result = (now, result)
        return result

    async def _broker_reachable(self) -> str:
        host, port = self._broker
        try:
            async with asyncio.timeout(self._timeout_s):
                _, writer = await asyncio.open_connection(host, port)
        except TimeoutError:
            return "timeout"
        except OSError:
            return "unreachable"
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
        return OK
