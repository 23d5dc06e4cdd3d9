"""The engine's pool serves waiters in the order they asked; a connection handed to a
waiter that gives up at that moment is passed on, never lost."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, Final

import pytest
from sqlalchemy import text
from sqlalchemy.util import greenlet_spawn
from sqlalchemy.util.queue import Empty
from wallet_infra.persistence.driver import DriverStatement, _on_pool, fetch_pooled
from wallet_infra.persistence.engine import make_engine
from wallet_infra.persistence.fair_pool import HandOverQueue
from wallet_testkit.polling import until

_ONE: Final = DriverStatement(text("SELECT 1 AS one"))


def _asking(queue: HandOverQueue[str], timeout: float | None = None) -> asyncio.Task[Any]:
    """A task waiting on `queue.get`, as the pool calls it (inside a greenlet)."""
    return asyncio.create_task(greenlet_spawn(queue.get, True, timeout))


async def _waiting(queue: HandOverQueue[str], count: int) -> list[asyncio.Task[Any]]:
    tasks = []
    for n in range(count):
        tasks.append(_asking(queue))
        await until(lambda n=n: len(queue._waiters) == n + 1)
    return tasks


async def test_an_idle_item_is_taken_without_waiting() -> None:
    queue: HandOverQueue[str] = HandOverQueue(maxsize=2)
    queue.put_nowait("idle")
    assert queue.get(block=False) == "idle"
    with pytest.raises(Empty):
        queue.get(block=False)


async def test_a_returned_item_goes_to_the_oldest_waiter_not_to_a_later_asker() -> None:
    queue: HandOverQueue[str] = HandOverQueue(maxsize=2)
    first, second = await _waiting(queue, 2)
    queue.put_nowait("a")
    with pytest.raises(Empty):  # asked after the hand-over, before the waiter ran
        queue.get(block=False)
    queue.put("b", block=False)
    assert await asyncio.wait_for(asyncio.gather(first, second), 5) == ["a", "b"]
    assert queue.qsize() == 0


async def test_a_waiter_that_times_out_gets_empty_and_leaves_the_line() -> None:
    queue: HandOverQueue[str] = HandOverQueue(maxsize=1)
    with pytest.raises(Empty):
        await greenlet_spawn(queue.get, True, 0.01)
    assert not queue._waiters
    queue.put_nowait("later")
    assert queue.get(block=False) == "later"


async def test_a_timeout_due_with_the_hand_over_loses_nothing() -> None:
    """The hand-over and the waiter's timer fall due in one turn of the loop, in the order
    the loop runs them (asyncio: the hand-over first; uvloop: the timer): the item is the
    waiter's or back in the queue, and nothing fails in the loop."""
    queue: HandOverQueue[str] = HandOverQueue(maxsize=1)
    loop = asyncio.get_running_loop()
    errors: list[dict[str, Any]] = []
    loop.set_exception_handler(lambda _, context: errors.append(context))
    try:
        waiter = _asking(queue, 0.05)
        await until(lambda: len(queue._waiters) == 1)
        loop.call_soon(queue.put_nowait, "a")
        time.sleep(0.06)  # noqa: ASYNC251  # the loop held until the timer is due too
        try:
            got = await asyncio.wait_for(waiter, 5)
        except Empty:
            got = queue.get(block=False)
        await asyncio.sleep(0)
    finally:
        loop.set_exception_handler(None)
    assert got == "a"
    assert errors == []
    assert not queue._waiters


async def test_a_waiter_cancelled_after_the_hand_over_passes_the_item_on() -> None:
    queue: HandOverQueue[str] = HandOverQueue(maxsize=1)
    cancelled, next_in_line = await _waiting(queue, 2)
    queue.put_nowait("a")  # handed to `cancelled`, which has not run yet
    cancelled.cancel()
    with pytest.raises(asyncio.CancelledError):
        await cancelled
    assert await asyncio.wait_for(next_in_line, 5) == "a"


async def test_a_waiter_cancelled_before_any_hand_over_is_skipped() -> None:
    queue: HandOverQueue[str] = HandOverQueue(maxsize=1)
    cancelled, next_in_line = await _waiting(queue, 2)
    cancelled.cancel()
    queue.put_nowait("a")  # before the cancelled waiter has run: it is still in line
    assert await asyncio.wait_for(next_in_line, 5) == "a"
    with pytest.raises(asyncio.CancelledError):
        await cancelled
    assert not queue._waiters
    queue.put_nowait("b")
    assert queue.get(block=False) == "b"


def test_the_pool_logs_where_sqlalchemys_own_pool_does() -> None:
    """Under `sqlalchemy` (WARNING by default), so the API at debug writes no line per
    checkout; `sqlalchemy.pool` set to debug shows it as it showed SQLAlchemy's."""
    engine = make_engine("postgresql://u:p@localhost:5432/db", pool_size=1)
    assert engine.pool.logger.name == "sqlalchemy.pool.impl.AsyncAdaptedQueuePool"
    assert not engine.pool.logger.isEnabledFor(logging.DEBUG)


@pytest.mark.integration
async def test_a_request_asking_again_queues_behind_the_waiters(database_url: str) -> None:
    """With the pool's one connection held and two requests waiting for it, the holder
    that returns it and asks again at once (same step, as a request that runs two
    statements back to back) is served after them: SQLAlchemy's own queue let it barge."""
    engine = make_engine(database_url, pool_size=1, max_overflow=0)
    served: list[str] = []
    release = asyncio.Event()

    async def held(driver: Any) -> None:
        served.append("holder")
        await release.wait()

    async def statement(name: str) -> None:
        await fetch_pooled(engine, f"test.{name}", _ONE, {})
        served.append(name)

    async def holder() -> None:
        await _on_pool(engine, "test.hold", held)
        await statement("holder again")

    try:
        first = asyncio.create_task(holder())
        await until(lambda: served == ["holder"])
        waiters = [asyncio.create_task(statement(name)) for name in ("b", "c")]
        queue = engine.sync_engine.pool._pool  # type: ignore[attr-defined]
        await until(lambda: len(queue._waiters) == 2)
        release.set()
        await asyncio.wait_for(asyncio.gather(first, *waiters), 15)
        assert served == ["holder", "b", "c", "holder again"]
        assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    finally:
        await engine.dispose()


@pytest.mark.integration
async def test_a_connection_handed_to_a_cancelled_waiter_goes_back_through_the_pool(
    database_url: str,
) -> None:
    """The pool's one connection and its one overflow connection are out, a request waits;
    the overflow one is handed to it, the other one returned to the queue (now full), and
    the request is cancelled before it ran: the overflow connection must be closed and
    counted back, as the pool's own return does, not left out of the pool forever."""
    engine = make_engine(database_url, pool_size=1, max_overflow=1)
    pool: Any = engine.sync_engine.pool
    try:
        held = await greenlet_spawn(pool.connect)
        overflow = await greenlet_spawn(pool.connect)
        overflow_driver = overflow.driver_connection
        waiter = asyncio.create_task(greenlet_spawn(pool.connect))
        await until(lambda: len(pool._pool._waiters) == 1)
        await greenlet_spawn(overflow.close)  # handed to the waiter, which has not run
        await greenlet_spawn(held.close)  # nobody waits now: into the queue, which is full
        waiter.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiter
        assert (pool.checkedout(), pool.checkedin(), pool.overflow()) == (0, 1, 0)
        assert overflow_driver.is_closed()
    finally:
        await engine.dispose()


@pytest.mark.parametrize(("lifo", "expected"), [(True, "newest"), (False, "oldest")])
async def test_the_next_idle_item_is_the_one_get_takes(lifo: bool, expected: str) -> None:
    queue: HandOverQueue[str] = HandOverQueue(maxsize=2, use_lifo=lifo)
    assert queue.next_idle() is None
    queue.put_nowait("oldest")
    queue.put_nowait("newest")
    assert queue.next_idle() == expected
    assert queue.get(block=False) == expected


async def test_a_put_is_taken_at_once_while_there_is_room() -> None:
    queue: HandOverQueue[str] = HandOverQueue(maxsize=1)
    [waiter] = await _waiting(queue, 1)
    assert queue.takes_without_waiting()
    queue.put_nowait("a")
    assert await asyncio.wait_for(waiter, 5) == "a"
    queue.put_nowait("b")
    assert not queue.takes_without_waiting()  # full: the pool would close an overflow one


async def test_an_item_waited_for_outside_get_is_the_next_gets() -> None:
    queue: HandOverQueue[str] = HandOverQueue(maxsize=2)
    waiting = asyncio.create_task(queue.wait_for_item(5))
    await until(lambda: len(queue._waiters) == 1)
    queue.put_nowait("a")
    await asyncio.wait_for(waiting, 5)
    queue.put_nowait("b")  # queued: nobody waits
    assert queue.next_idle() == "a"
    assert queue.get(block=False) == "a"
    assert queue.get(block=False) == "b"


async def test_a_wait_outside_get_times_out_with_empty_and_leaves_the_line() -> None:
    queue: HandOverQueue[str] = HandOverQueue(maxsize=2)
    with pytest.raises(Empty):
        await queue.wait_for_item(0.01)
    assert not queue._waiters
    assert queue.next_idle() is None


async def test_an_item_received_while_another_is_still_untaken_goes_back_in_line() -> None:
    queue: HandOverQueue[str] = HandOverQueue(maxsize=2)
    queue._received = "left over"
    waiting = asyncio.create_task(queue.wait_for_item(5))
    await until(lambda: len(queue._waiters) == 1)
    queue.put_nowait("a")
    await asyncio.wait_for(waiting, 5)
    assert queue.get(block=False) == "left over"
    assert queue.get(block=False) == "a"  # not lost: queued
