"""One statement on a connection of the engine's pool, straight to asyncpg, no session.

For writes that are a whole transaction on their own and need nothing else a session
gives (the consumers' batched audit and inbox rows): the statement runs with no open
transaction, so it commits by itself, with no BEGIN/COMMIT round trips and none of
SQLAlchemy's per-execute work. The connection goes back to the pool at once; the pool is
the engine's, so its size, health check and disposal stay one thing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from opentelemetry import trace
from sqlalchemy.ext.asyncio import AsyncEngine

from wallet_infra.persistence.driver_statement import CONNECTION_LOST, PositionalStatement
from wallet_infra.telemetry import tracer


async def fetch_on_pool(
    engine: AsyncEngine,
    span_name: str,
    statement: PositionalStatement,
    args: Sequence[Any],
    *,
    rows_sent: int,
) -> list[Any]:
    """Every row the statement returns, in a client span (`db.operation.batch.size` =
    `rows_sent`). A connection the server or socket dropped is invalidated, never pooled."""
    async with engine.connect() as connection:
        driver = (await connection.get_raw_connection()).driver_connection
        assert driver is not None  # a checked-out connection always has one
        with tracer().start_as_current_span(
            span_name,
            kind=trace.SpanKind.CLIENT,
            attributes={"db.system": "postgresql", "db.operation.batch.size": rows_sent},
        ):
            try:
                rows: list[Any] = await driver.fetch(statement.sql, *args)
            except CONNECTION_LOST:
                await connection.invalidate()
                raise
            return rows
