"""Health and readiness probes, one class for every process (the API's `/readyz`, the
consumers' `/healthz`): named checks run side by side, each reporting a fixed word.

Words, never an exception's text ("ok", "unreachable", "timeout", "refused", "disconnected",
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

import aiormq
from aiormq.exceptions import (
    ConnectionClosed,
    ProbableAuthenticationError,
    ProtocolSyntaxError,
)
from faststream.rabbit import RabbitBroker
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from wallet_infra.persistence.errors import UNDEFINED_TABLE, sqlstate

OK: Final = "ok"
DEFAULT_TIMEOUT_S: Final = 2.0
_PING: Final = text("SELECT 1")
_SCHEMA_SQL: Final = text("SELECT version, dirty FROM schema_migrations")

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
    amqp_url: str,
    *,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    cache_s: float = 5.0,
    connection_name: str = "readiness",
) -> Check:
    """`broker`: RabbitMQ completes an AMQP handshake with `amqp_url` (its user, password
    and virtual host), for a process that holds no broker connection of its own. A TCP
    connect alone read `ok` with a wrong password or vhost, which every publish then
    fails on. Opened and closed each time; cached for `cache_s`, and one handshake at a
    time, so frequent probes do not hammer it. `connection_name` tells it apart in
    RabbitMQ's connection list and log.

    `refused`: the server answered and did not let the connection in (the user, password
    or virtual host; or it does not speak AMQP)."""
    cached: list[tuple[float, str]] = []
    one_at_a_time = asyncio.Lock()

    async def handshake() -> str:
        try:
            connection = aiormq.Connection(
                amqp_url, client_properties={"connection_name": connection_name}
            )
        except Exception:  # a URL it cannot use: reported, never a 500 from the probe
            return "unreachable"
        try:
            async with asyncio.timeout(timeout_s):
                await connection.connect()
        except TimeoutError:
            return "timeout"
        except (ProbableAuthenticationError, ConnectionClosed, ProtocolSyntaxError):
            # The server answered and closed the handshake: a wrong password comes as
            # ACCESS_REFUSED, a wrong vhost as a Connection.Close where OpenOk was due.
            return "refused"
        except Exception:
            return "unreachable"
        finally:
            # Closed whatever happened (a half-open one too), within its own deadline.
            with contextlib.suppress(Exception):
                await connection.close(None, timeout=timeout_s)
        return OK

    async def check() -> dict[str, str]:
        async with one_at_a_time:
            if not cached or time.monotonic() - cached[0][0] >= cache_s:
                word = await handshake()
                cached[:] = [(time.monotonic(), word)]
        return {"broker": cached[0][1]}

    return check
