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

from sqlalchemy.ext.asyncio import AsyncEngine

from wallet_infra.persistence.driver_statement import PositionalStatement, on_driver


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
    async with (
        engine.connect() as connection,
        on_driver(connection, span_name, {"db.operation.batch.size": rows_sent}) as driver,
    ):
        rows: list[Any] = await driver.fetch(statement.sql, *args)
        return rows
