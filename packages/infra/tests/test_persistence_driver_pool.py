"""`driver` statements outside a transaction borrow a pool connection for one statement:
it goes back to the pool whatever happened, and one whose server went away is dropped.
An idle, valid connection is checked out and returned in place, the statement awaited
outside a greenlet; whatever needs I/O in the pool (a new, recycled or overflow
connection) still runs in one."""

from __future__ import annotations

import asyncio
import random
import uuid
from collections import deque
from collections.abc import AsyncIterator, Callable
from typing import Any, Final

import asyncpg  # type: ignore[import-untyped]
import pytest
import pytest_asyncio
from sqlalchemy import text
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.util import greenlet_spawn
from wallet_infra.persistence import driver
from wallet_infra.persistence.driver import (
    CONNECTION_LOST,
    DriverStatement,
    fetch,
    fetch_pooled,
    fetchrow,
)
from wallet_infra.persistence.engine import make_engine, make_session_factory
from wallet_infra.persistence.fair_pool import FairAsyncQueuePool
from wallet_testkit.db import fetch as fetch_rows
from wallet_testkit.polling import eventually, until

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


_SLEEP: Final = DriverStatement(text("SELECT pg_backend_pid() AS pid, pg_sleep(CAST(:s AS float))"))


@pytest.fixture
def greenlets(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of what the driver runs in a greenlet from now on."""
    spawned: list[str] = []

    async def spawn(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        spawned.append(getattr(fn, "__name__", repr(fn)))
        return await greenlet_spawn(fn, *args, **kwargs)

    monkeypatch.setattr(driver, "greenlet_spawn", spawn)
    return spawned


async def _holding(engine: AsyncEngine, seconds: float) -> asyncio.Task[list[Any]]:
    """A statement of `seconds` on `engine`, once it has its pool connection."""
    pool = engine.sync_engine.pool
    before = pool.checkedout()  # type: ignore[attr-defined]
    held = asyncio.create_task(fetch_pooled(engine, "test.sleep", _SLEEP, {"s": seconds}))
    await until(lambda: pool.checkedout() == before + 1)  # type: ignore[attr-defined]
    return held


async def _queued(engine: AsyncEngine) -> asyncio.Task[list[Any]]:
    """A statement on `engine`, once it waits in the pool's line for a connection."""
    pool = engine.sync_engine.pool
    waiting = asyncio.create_task(fetch_pooled(engine, "test.pid", _PID, {}))
    await until(lambda: len(pool._pool._waiters) == 1)  # type: ignore[attr-defined]
    return waiting


async def test_a_statement_on_an_idle_connection_needs_no_greenlet(
    one_connection: AsyncEngine, greenlets: list[str]
) -> None:
    await fetch_pooled(one_connection, "test.pid", _PID, {})  # the pool's first connection
    greenlets.clear()
    pids = {(await fetch_pooled(one_connection, "test.pid", _PID, {}))[0]["pid"] for _ in range(5)}
    assert greenlets == []
    assert len(pids) == 1
    pool = one_connection.pool
    assert (pool.checkedout(), pool.checkedin()) == (0, 1)  # type: ignore[attr-defined]


async def test_the_first_connection_is_made_in_a_greenlet(database_url: str) -> None:
    engine = make_engine(database_url, pool_size=1, max_overflow=0)
    try:
        assert engine.pool.checkedin() == 0  # type: ignore[attr-defined]
        assert (await fetch_pooled(engine, "test.divide", _DIVIDE, {"d": 1}))[0]["q"] == 1
        assert engine.pool.checkedin() == 1  # type: ignore[attr-defined]
    finally:
        await engine.dispose()


async def test_a_connection_due_for_recycling_is_replaced_in_a_greenlet(
    database_url: str, greenlets: list[str]
) -> None:
    engine = make_engine(database_url, pool_size=1, max_overflow=0)
    try:
        old = (await fetch_pooled(engine, "test.pid", _PID, {}))[0]["pid"]
        engine.sync_engine.pool._recycle = 0  # type: ignore[attr-defined]  # every one is due
        greenlets.clear()
        new = (await fetch_pooled(engine, "test.pid", _PID, {}))[0]["pid"]
        assert new != old
        assert greenlets == ["_checked_out"]
        gone = "SELECT count(*) AS n FROM pg_stat_activity WHERE pid = $1"

        async def closed() -> bool:
            return (await fetch_rows(database_url, gone, old))[0]["n"] == 0

        await eventually(closed, timeout_s=5, interval_s=0.05)
    finally:
        await engine.dispose()


async def test_an_overflow_connection_is_closed_on_its_return_in_a_greenlet(
    database_url: str, greenlets: list[str]
) -> None:
    engine = make_engine(database_url, pool_size=1, max_overflow=1)
    pool = engine.sync_engine.pool
    try:
        await fetch_pooled(engine, "test.pid", _PID, {})
        slow = await _holding(engine, 0.3)
        # The idle one is taken, so this one opens the overflow connection.
        quick = await fetch_pooled(engine, "test.sleep", _SLEEP, {"s": 0.0})
        first = (await slow)[0]["pid"]
        assert quick[0]["pid"] != first
        # One went back to the queue, the other found it full and was closed.
        assert (pool.checkedout(), pool.checkedin(), pool.overflow()) == (0, 1, 0)  # type: ignore[attr-defined]
        assert "close" in greenlets
    finally:
        await engine.dispose()


async def test_a_cancelled_statement_gives_its_connection_back_ready_for_the_next(
    one_connection: AsyncEngine,
) -> None:
    await fetch_pooled(one_connection, "test.pid", _PID, {})
    pool = one_connection.pool
    slow = await _holding(one_connection, 30)
    await asyncio.sleep(0.05)  # the statement is on the server
    slow.cancel()
    with pytest.raises(asyncio.CancelledError):
        await slow
    assert (pool.checkedout(), pool.checkedin()) == (0, 1)  # type: ignore[attr-defined]
    rows = await asyncio.wait_for(fetch_pooled(one_connection, "test.divide", _DIVIDE, {"d": 1}), 5)
    assert rows[0]["q"] == 1


async def test_a_connection_in_a_transaction_is_not_returned_in_place(
    one_connection: AsyncEngine,
) -> None:
    pool = one_connection.sync_engine.pool
    assert isinstance(pool, FairAsyncQueuePool)
    async with one_connection.connect() as connection:
        raw = await connection.get_raw_connection()
        assert pool.returns_at_hand(raw)
        await connection.execute(text("SELECT 1"))  # begins: the return must roll back
        assert not pool.returns_at_hand(raw)
        await connection.commit()
        assert pool.returns_at_hand(raw)


async def test_a_statement_waiting_for_the_busy_pool_waits_without_a_greenlet(
    one_connection: AsyncEngine, greenlets: list[str]
) -> None:
    await fetch_pooled(one_connection, "test.pid", _PID, {})
    pool = one_connection.sync_engine.pool
    greenlets.clear()
    slow = await _holding(one_connection, 0.2)
    waiting = await _queued(one_connection)
    assert (await waiting)[0]["pid"] == (await slow)[0]["pid"]
    assert greenlets == []
    assert (pool.checkedout(), pool.checkedin()) == (0, 1)  # type: ignore[attr-defined]


async def test_a_connection_waited_for_that_is_due_for_recycling_is_replaced_in_a_greenlet(
    database_url: str, greenlets: list[str]
) -> None:
    engine = make_engine(database_url, pool_size=1, max_overflow=0)
    pool = engine.sync_engine.pool
    try:
        await fetch_pooled(engine, "test.pid", _PID, {})
        slow = await _holding(engine, 0.2)
        waiting = await _queued(engine)
        pool._recycle = 0  # type: ignore[attr-defined]  # due by the time it is handed over
        greenlets.clear()
        old = (await slow)[0]["pid"]
        assert (await waiting)[0]["pid"] != old  # the one waited for, reconnected
        assert greenlets == ["_checked_out"]
        assert (pool.checkedout(), pool.checkedin(), pool.overflow()) == (0, 1, 0)  # type: ignore[attr-defined]
    finally:
        await engine.dispose()


async def test_a_wait_past_the_pool_timeout_fails_as_sqlalchemys_own_checkout(
    database_url: str,
) -> None:
    engine = make_engine(database_url, pool_size=1, max_overflow=0, pool_timeout_s=0.1)
    pool = engine.sync_engine.pool
    try:
        await fetch_pooled(engine, "test.pid", _PID, {})
        slow = await _holding(engine, 1)
        with pytest.raises(PoolTimeout) as ours:
            await fetch_pooled(engine, "test.pid", _PID, {})
        with pytest.raises(PoolTimeout) as theirs:
            await engine.connect()
        assert (str(ours.value), ours.value.code) == (str(theirs.value), theirs.value.code)
        assert pool._pool._waiters == deque()  # type: ignore[attr-defined]
        await slow
        assert (await fetch_pooled(engine, "test.pid", _PID, {}))[0]["pid"]
    finally:
        await engine.dispose()


async def test_a_busy_pool_with_cancellations_loses_and_leaks_no_connection(
    database_url: str,
) -> None:
    """Many statements on a small pool with overflow, some cancelled at random points:
    afterwards every connection is back or closed, and the server holds exactly the idle
    ones (none left open by a lost or leaked checkout)."""
    name = f"pool-stress-{uuid.uuid4().hex[:8]}"
    engine = make_engine(
        database_url, pool_size=2, max_overflow=2, pool_timeout_s=10, application_name=name
    )
    pool = engine.sync_engine.pool
    rng = random.Random(7)

    async def statements() -> None:
        for _ in range(15):
            await fetch_pooled(engine, "test.sleep", _SLEEP, {"s": rng.random() / 500})

    try:
        tasks = [asyncio.create_task(statements()) for _ in range(32)]
        for _ in range(24):
            await asyncio.sleep(rng.random() / 200)
            rng.choice(tasks).cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        assert (pool.checkedout(), pool.overflow()) == (0, 0)  # type: ignore[attr-defined]
        idle = pool.checkedin()  # type: ignore[attr-defined]
        assert 1 <= idle <= 2
        backends = "SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = $1"

        async def only_the_idle_ones() -> bool:
            return (await fetch_rows(database_url, backends, name))[0]["n"] == idle

        await eventually(only_the_idle_ones, timeout_s=5, interval_s=0.05)
        assert (await fetch_pooled(engine, "test.pid", _PID, {}))[0]["pid"]
    finally:
        await engine.dispose()
