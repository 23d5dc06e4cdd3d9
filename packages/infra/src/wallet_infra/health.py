"""Health and readiness probes, one class for every process (the API's `/readyz`, the
consumers' `/healthz`): named checks run side by side, each reporting a fixed word.

Words, never an exception's text ("ok", "unreachable", "timeout", "disconnected",
"not_migrated", "version_mismatch", "dirty"), so a probe leaks nothing about DSNs or
drivers. A check is an async callable returning `{name: word}`: one check may report
several names when one round trip answers them (the database and its schema version).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Final
from urllib.parse import urlsplit

from faststream.rabbit import RabbitBroker
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from wallet_infra.persistence.errors import UNDEFINED_TABLE, sqlstate

OK: Final = "ok"
DEFAULT_TIMEOUT_S: Final = 2.0
_PING: Final = text("SELECT 1")
_SCHEMA_SQL: Final = text("SELECT version, dirty FROM schema_migrations")
_AMQP_PORTS: Final = {"amqp": 5672, "amqps": 5671}

Check = Callable[[], Awaitable[dict[str, str]]]


@dataclass(frozen=True, slots=True)
class Health:
    checks: dict[str, str]

    @property
    def ok(self) -> bool:
        return all(value == OK for value in self.checks.values())


class HealthProbe:
    """Cheap enough for a probe every few seconds."""

    def __init__(self, *checks: Check) -> None:
        self._checks = checks

    async def check(self) -> Health:
        results = await asyncio.gather(*(check() for check in self._checks))
        return Health({name: word for result in results for name, word in result.items()})


def database(engine: AsyncEngine, *, timeout_s: float = DEFAULT_TIMEOUT_S) -> Check:
    """`database`: a statement answers within the timeout."""

    async def check() -> dict[str, str]:
        try:
            async with asyncio.timeout(timeout_s), engine.connect() as conn:
                await conn.execute(_PING)
        except TimeoutError:
            return {"database": "timeout"}
        except Exception:
            return {"database": "unreachable"}
        return {"database": OK}

    return check


def database_and_schema(
    engine: AsyncEngine, *, expected_version: int, timeout_s: float = DEFAULT_TIMEOUT_S
) -> Check:
    """`database` and `schema` on one connection: the schema must be at `expected_version`
    and not left dirty by a failed migration (read-only: the app never migrates)."""

    async def check() -> dict[str, str]:
        try:
            async with asyncio.timeout(timeout_s), engine.connect() as conn:
                rows = (await conn.execute(_SCHEMA_SQL)).all()
        except TimeoutError:
            return {"database": "timeout", "schema": "unknown"}
        except Exception as error:
            # No schema_migrations: the database answered, no migration ever ran there.
            # Reported as such, so the operator runs `make migrate`, not hunts for the DSN.
            if isinstance(error, DBAPIError) and sqlstate(error) == UNDEFINED_TABLE:
                return {"database": OK, "schema": "not_migrated"}
            return {"database": "unreachable", "schema": "unknown"}
        if len(rows) != 1 or rows[0].version != expected_version:
            return {"database": OK, "schema": "version_mismatch"}
        return {"database": OK, "schema": "dirty" if rows[0].dirty else OK}

    return check


# How long a readiness probe waits for a dropped broker connection to come back: it
# reports the state now (FastStream's ping waits out its whole timeout when disconnected,
# which outlasted the probe's own HTTP timeout while RabbitMQ was down).
CONNECTED_WAIT_S: Final = 0.1


def broker_connected(broker: RabbitBroker, *, timeout_s: float = CONNECTED_WAIT_S) -> Check:
    """`broker`: this process's own robust connection is up (no round trip to RabbitMQ)."""

    async def check() -> dict[str, str]:
        connected = await broker.ping(timeout=timeout_s)
        return {"broker": OK if connected else "disconnected"}

    return check


def broker_reachable(
    amqp_url: str, *, timeout_s: float = DEFAULT_TIMEOUT_S, cache_s: float = 5.0
) -> Check:
    """`broker`: RabbitMQ accepts a TCP connection, for a process that holds no broker
    connection of its own; cached for `cache_s` so frequent probes do not hammer it."""
    parts = urlsplit(amqp_url)
    host = parts.hostname or "localhost"
    port = parts.port or _AMQP_PORTS.get(parts.scheme, 5672)
    cached: list[tuple[float, str]] = []

    async def reachable() -> str:
        try:
            async with asyncio.timeout(timeout_s):
                _, writer = await asyncio.open_connection(host, port)
        except TimeoutError:
            return "timeout"
        except OSError:
            return "unreachable"
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
        return OK

    async def check() -> dict[str, str]:
        now = time.monotonic()
        if not cached or now - cached[0][0] >= cache_s:
            cached[:] = [(now, await reachable())]
        return {"broker": cached[0][1]}

    return check
