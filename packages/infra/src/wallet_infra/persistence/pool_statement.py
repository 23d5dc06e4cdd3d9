"""One statement on a connection of the engine's pool, straight to asyncpg, no session.

For writes that are a whole transaction on their own and need nothing else a session
gives (the consumers' batched audit and inbox rows, the inbox purge's batches): the
statement runs with no open transaction, so it commits by itself, with no BEGIN/COMMIT
round trips and none of SQLAlchemy's per-execute work (`driver_statement.on_pool`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from wallet_infra.persistence.driver_statement import PositionalStatement, on_pool


async def fetch_on_pool(
    engine: AsyncEngine,
    span_name: str,
    statement: PositionalStatement,
    args: Sequence[Any],
    *,
    rows_sent: int | None = None,
) -> list[Any]:
    """Every row the statement returns, in a client span (`db.operation.batch.size` =
    `rows_sent` for a batched write). A connection the server or socket dropped is
    invalidated, never pooled."""
    attributes = {} if rows_sent is None else {"db.operation.batch.size": rows_sent}
    async with on_pool(engine, span_name, attributes) as driver:
        rows: list[Any] = await driver.fetch(statement.sql, *args)
        return rows
