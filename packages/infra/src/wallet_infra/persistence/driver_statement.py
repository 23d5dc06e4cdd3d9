"""One statement straight to asyncpg: the hot paths' way in.

A round trip costs the caller about as much CPU as the database spends on a small
statement, and SQLAlchemy's execute adds more. Statements that are a whole write on
their own (a payment's writes, one consumed event) go to the driver directly, with none
of SQLAlchemy's per-execute work. Inside the session's open transaction (begun by its
other statements, e.g. the recovery worker's row lock) the statement joins it. Without
one, the statement is its own transaction on a connection checked out of the engine's
pool for just that statement: no BEGIN/COMMIT round trips, and no session transaction
to begin, commit and release around it (that bookkeeping cost the payment path as much
CPU as both its statements).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, Final

import asyncpg  # type: ignore[import-untyped]
import orjson
from opentelemetry import trace
from sqlalchemy import Table
from sqlalchemy.dialects.postgresql.base import PGDialect
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession
from sqlalchemy.util import greenlet_spawn

from wallet_infra.persistence.errors import ErrorFactory, translate_driver
from wallet_infra.telemetry import tracer

_POSTGRESQL: Final = PGDialect()  # type: ignore[no-untyped-call]  # SQLAlchemy leaves it unannotated
_NAMED_PARAM: Final = re.compile(r"(?<!:):([a-z][a-z0-9_]*)")
# The server or the socket went away: the connection is unusable, whatever the statement.
CONNECTION_LOST: Final = (
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,  # e.g. the protocol saw the server's goodbye mid-exchange
    ConnectionError,
    OSError,
)


def json_text(value: Any) -> str:
    """A JSON(B) parameter as the engine's asyncpg codec takes it: JSON text."""
    return orjson.dumps(value).decode()


def typed_params(table: Table, columns: Sequence[str], prefix: str) -> str:
    """`CAST(:<prefix><column> AS <its type>), ...`, types from the table's definition.

    Parameters in a SELECT list (INSERT ... SELECT) need them: nothing else there tells
    PostgreSQL their types."""
    return ", ".join(f"CAST(:{prefix}{name} AS {sql_type(table, name)})" for name in columns)


def sql_type(table: Table, column: str) -> str:
    """The column's PostgreSQL type as the table definition states it (`numeric(20, 0)`)."""
    return str(table.c[column].type.compile(dialect=_POSTGRESQL))


class PositionalStatement:
    """SQL written with `:name` parameters, sent with asyncpg's `$n` ones."""

    def __init__(self, sql: str) -> None:
        self.names: list[str] = []

        def number(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in self.names:
                self.names.append(name)
            return f"${self.names.index(name) + 1}"

        self.sql = _NAMED_PARAM.sub(number, sql)

    def args(self, params: Mapping[str, Any]) -> list[Any]:
        return [params[name] for name in self.names]


async def fetchrow(
    session: AsyncSession,
    span_name: str,
    statement: PositionalStatement,
    params: Mapping[str, Any],
    *,
    constraints: Mapping[str, ErrorFactory] | None = None,
    sqlstates: Mapping[str, ErrorFactory] | None = None,
) -> Any:
    """The statement's first row (or None), with known constraint/SQLSTATE violations
    translated like `errors.translate`, in a client span like SQLAlchemy's statements.
    It joins the session's transaction if one is open, else runs on its own (see above)."""
    async with _statement_driver(session, span_name) as driver:
        try:
            return await driver.fetchrow(statement.sql, *statement.args(params))
        except asyncpg.PostgresError as exc:
            error = translate_driver(exc, constraints=constraints, sqlstates=sqlstates)
            if error is None:
                raise
            raise error from None


def _statement_driver(session: AsyncSession, span_name: str) -> AbstractAsyncContextManager[Any]:
    if session.in_transaction():
        return _on_session(session, span_name)
    engine = session.bind
    assert isinstance(engine, AsyncEngine)  # sessions come from the engine's sessionmaker
    return on_pool(engine, span_name)


@asynccontextmanager
async def _on_session(session: AsyncSession, span_name: str) -> AsyncIterator[Any]:
    async with on_driver(await session.connection(), span_name) as driver:
        yield driver


@asynccontextmanager
async def on_pool(
    engine: AsyncEngine, span_name: str, attributes: Mapping[str, Any] | None = None
) -> AsyncIterator[Any]:
    """An asyncpg connection checked out of `engine`'s pool for one statement (which then
    commits by itself), used inside a client span; back to the pool right after, or
    invalidated if the server or the socket went away meanwhile. The pool is the engine's,
    so its size, health check and disposal stay one thing."""
    pooled = await engine.raw_connection()
    try:
        with _client_span(span_name, attributes):
            yield pooled.driver_connection
    except CONNECTION_LOST:
        await greenlet_spawn(pooled.invalidate)
        raise
    finally:
        # Checking in may need I/O (a rollback, closing an invalidated connection).
        await greenlet_spawn(pooled.close)


@asynccontextmanager
async def on_driver(
    connection: AsyncConnection,
    span_name: str,
    attributes: Mapping[str, Any] | None = None,
) -> AsyncIterator[Any]:
    """The asyncpg connection under `connection`, used inside a client span; if the server
    or the socket went away meanwhile, the connection is invalidated, never pooled again
    (what SQLAlchemy does for its own statements)."""
    driver = (await connection.get_raw_connection()).driver_connection
    assert driver is not None  # a checked-out connection always has one
    with _client_span(span_name, attributes):
        try:
            yield driver
        except CONNECTION_LOST:
            await connection.invalidate()
            raise


def _client_span(span_name: str, attributes: Mapping[str, Any] | None) -> Any:
    return tracer().start_as_current_span(
        span_name,
        kind=trace.SpanKind.CLIENT,
        attributes={"db.system": "postgresql", **(attributes or {})},
    )
