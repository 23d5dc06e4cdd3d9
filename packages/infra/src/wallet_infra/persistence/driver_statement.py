"""One statement straight to asyncpg on the session's connection: the hot paths' way in.

A round trip costs the caller about as much CPU as the database spends on a small
statement, and SQLAlchemy's execute adds more. Statements that are a whole write on
their own (a payment's writes, one consumed event) go to the driver directly: no
BEGIN/COMMIT round trips when the session has no transaction open (the statement is its
own transaction), and none of SQLAlchemy's per-execute work. Inside an open transaction
(begun by the session's other statements) the statement simply joins it.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any, Final

import asyncpg  # type: ignore[import-untyped]
import orjson
from opentelemetry import trace
from sqlalchemy import Table
from sqlalchemy.dialects.postgresql.base import PGDialect
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

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
    translated like `errors.translate`, in a client span like SQLAlchemy's statements."""
    async with on_driver(await session.connection(), span_name) as driver:
        try:
            return await driver.fetchrow(statement.sql, *statement.args(params))
        except asyncpg.PostgresError as exc:
            error = translate_driver(exc, constraints=constraints, sqlstates=sqlstates)
            if error is None:
                raise
            raise error from None


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
    with tracer().start_as_current_span(
        span_name,
        kind=trace.SpanKind.CLIENT,
        attributes={"db.system": "postgresql", **(attributes or {})},
    ):
        try:
            yield driver
        except CONNECTION_LOST:
            await connection.invalidate()
            raise
