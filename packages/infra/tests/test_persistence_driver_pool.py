"""`driver` statements outside a transaction borrow a pool connection for one statement:
it goes back to the pool whatever happened, and one whose server went away is dropped."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Final

import asyncpg  # type: ignore[import-untyped]
import pytest
import pytest_asyncio
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from wallet_infra.persistence.driver import (
    CONNECTION_LOST,
    DriverStatement,
    fetch,
    fetch_pooled,
    fetchrow,
)
from wallet_infra.persistence.engine import make_engine, make_session_factory
from wallet_testkit.db import fetch as fetch_rows

pytestmark = pytest.mark.integration

_PID: Final = DriverStatement(text("SELECT pg_backend_pid() AS pid"))
_DIVIDE: Final = DriverStatement(text("SELECT 1 / CAST(:d AS int) AS q"))


@pytest_asyncio.fixture(loop_scope="session")
async def one_connection(database_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine whose pool holds a single connection, so every statement reuses it."""
    engine = make_engine(database_url, pool_size=1, max_overflow=0)
    yield engine
    await engine.dispose()


async def test_a_statement_gives_its_connection_back_even_when_it_fails(
    one_connection: AsyncEngine,
) -> None:
    sessions = make_session_factory(one_connection)
    async with sessions() as session:
        assert (await fetchrow(session, "test.divide", _DIVIDE, {"d": 1}))["q"] == 1
        assert one_connection.pool.checkedout() == 0  # type: ignore[attr-defined]
        with pytest.raises(asyncpg.DivisionByZeroError):
            await fetchrow(session, "test.divide", _DIVIDE, {"d": 0})
        assert one_connection.pool.checkedout() == 0  # type: ignore[attr-defined]
        assert [row["q"] for row in await fetch(session, "test.divide", _DIVIDE, {"d": 1})] == [1]
    rows = await fetch_pooled(one_connection, "test.divide", _DIVIDE, {"d": 1})
    assert [row["q"] for row in rows] == [1]
    assert one_connection.pool.checkedout() == 0  # type: ignore[attr-defined]


async def test_a_connection_the_server_dropped_is_never_pooled_again(
    one_connection: AsyncEngine, database_url: str
) -> None:
    sessions = make_session_factory(one_connection)
    async with sessions() as session:
        pid = (await fetchrow(session, "test.pid", _PID, {}))["pid"]
        await fetch_rows(database_url, "SELECT pg_terminate_backend($1)", pid)
        with pytest.raises(CONNECTION_LOST):
            await fetchrow(session, "test.pid", _PID, {})
        # The next statement gets a new connection, not the dead one back.
        assert (await fetchrow(session, "test.pid", _PID, {}))["pid"] != pid
    assert one_connection.pool.checkedout() == 0  # type: ignore[attr-defined]
