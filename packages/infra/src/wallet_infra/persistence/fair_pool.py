"""SQLAlchemy's asyncio pool, handing each returned connection to the longest waiter.

Why: `AsyncAdaptedQueuePool` keeps its idle connections in an `asyncio.Queue`. A
returned connection wakes the first waiter, but any task that asks before that waiter
runs takes the connection instead (a request that has just returned one and asks again,
or a new one), and the waiter that lost goes to the BACK of the line. With the pool
saturated a waiter can lose again and again: measured with 128 tasks on 8 connections
(each statement, a 1 ms pause, another statement), checkout waits were 0.02 ms at the
median but 92 to 122 ms at p99 and up to 311 to 405 ms, and a request of the in-process
bench starved for the whole pool timeout (10 s, a 500) while the requests around it were
served. Here a returned connection goes straight to the oldest waiter, so requests are
served in the order they asked: the same load waited 8 to 9 ms at the median, 11 to 15
ms at p99 and at most 25 to 42 ms, with the same checkouts/s and CPU per checkout (`make
bench-pool`).

An idle connection is still taken without waiting when nobody waits (the queue then only
holds connections that no waiter wanted), so an unsaturated pool costs what it did. A
waiter that is cancelled just as a connection was handed to it passes the connection on
through the pool's own return (the next waiter, the queue, or closed if it is an
overflow connection the queue has no room for), and a timeout that fires after the
hand-over does nothing, so none is ever lost. The hook is the pool's `_queue_class`,
with the `get`/`put` contract of SQLAlchemy's queue (2.0.x, pinned; the tests check the
hand-over on a real engine).

The pool also serves `driver` statements without a greenlet when that needs no I/O: a
checkout of an idle, valid connection (`connect_at_hand`), a wait in the same line for a
returned one (`must_wait`, `wait_for_connection`: the connection handed over is kept for
the checkout right after), and a return to a waiter or the queue (`returns_at_hand`).
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import exc
from sqlalchemy.pool import AsyncAdaptedQueuePool, ConnectionPoolEntry, PoolProxiedConnection
from sqlalchemy.util import greenlet_spawn
from sqlalchemy.util.queue import AsyncAdaptedQueue, Empty, QueueCommon

_T = TypeVar("_T")


class HandOverQueue(AsyncAdaptedQueue[_T]):
    """`AsyncAdaptedQueue` where `put` hands the item to the oldest waiting `get`."""

    def __init__(self, maxsize: int = 0, use_lifo: bool = False) -> None:
        super().__init__(maxsize, use_lifo)
        self._waiters: deque[asyncio.Future[_T]] = deque()
        # Where an item handed to a waiter that was then cancelled goes: back in line (the
        # next waiter, else the queue). The pool sets its own return instead, which closes
        # an overflow connection that the queue has no room for.
        self.give_back: Callable[[_T], None] = self.put_nowait
        # An item handed over to a waiter outside `get` (`wait_for_item`), for that
        # waiter's `get` right after: nobody else runs in between.
        self._received: _T | None = None

    def put_nowait(self, item: _T) -> None:
        if not self._handed_over(item):
            super().put_nowait(item)

    def put(self, item: _T, block: bool = True, timeout: float | None = None) -> None:
        if not self._handed_over(item):
            super().put(item, block, timeout)

    def get(self, block: bool = True, timeout: float | None = None) -> _T:
        if (received := self._received) is not None:
            self._received = None
            return received
        # Queued items are ones no waiter was there for: taking one passes nobody.
        try:
            return self._queue.get_nowait()
        except asyncio.QueueEmpty:
            if not block:
                raise Empty() from None
        return self.await_(self._handed(timeout))

    async def wait_for_item(self, wait_s: float | None) -> None:
        """Wait in line, as `get` does, outside a greenlet; the item handed over is the
        next `get`'s (call it before awaiting anything else). `Empty` after `wait_s`."""
        item = await self._handed(wait_s)
        if self._received is None:
            self._received = item
        else:
            # Not expected: an item received earlier that no `get` took (its checkout
            # failed before). The next `get` takes that one; this one goes back in line.
            await greenlet_spawn(self.give_back, item)

    def next_idle(self) -> _T | None:
        """The item `get` would return now without waiting, left in place; None if none is
        idle."""
        if self._received is not None:
            return self._received
        queue = self._queue
        if queue.empty():
            return None
        items: Any = queue._queue  # type: ignore[attr-defined]  # asyncio's own store
        item: _T = items[-1] if self.use_lifo else items[0]  # LifoQueue: a list, else a deque
        return item

    def takes_without_waiting(self) -> bool:
        """Whether a `put` now would place its item at once (handed to a waiter or queued,
        not `Full`). Waiters only wait on an empty queue, which has room."""
        return not self._queue.full()

    def _handed_over(self, item: _T) -> bool:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():  # a cancelled waiter is skipped
                waiter.set_result(item)
                return True
        return False

    async def _handed(self, wait_s: float | None) -> _T:
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[_T] = loop.create_future()
        self._waiters.append(waiter)
        # A timer on the future rather than `asyncio.timeout`: on a saturated pool every
        # checkout waits, and the timeout's own bookkeeping cost more than the wait's.
        timer = None if wait_s is None else loop.call_later(wait_s, _time_out, waiter)
        try:
            return await waiter
        except BaseException:
            if waiter.done() and not waiter.cancelled() and waiter.exception() is None:
                # Handed over just as the task was cancelled: passed on, in a greenlet (the
                # pool's return closes a connection the queue has no room for).
                await greenlet_spawn(self.give_back, waiter.result())
            elif waiter in self._waiters:
                self._waiters.remove(waiter)
            raise
        finally:
            if timer is not None:
                timer.cancel()


def _time_out(waiter: asyncio.Future[Any]) -> None:
    if not waiter.done():  # else handed over (or cancelled) first
        waiter.set_exception(Empty())


class FairAsyncQueuePool(AsyncAdaptedQueuePool):
    """`AsyncAdaptedQueuePool` whose waiters are served first come, first served."""

    _queue_class: type[QueueCommon[ConnectionPoolEntry]] = HandOverQueue
    # Log as SQLAlchemy's own pool does: under `sqlalchemy` (WARNING unless configured),
    # not the root logger, which at debug would write a line per checkout.
    _sqla_logger_namespace = "sqlalchemy.pool.impl.AsyncAdaptedQueuePool"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pool.give_back = self._do_return_conn  # type: ignore[attr-defined]

    def must_wait(self) -> bool:
        """Whether a checkout now would wait for a returned connection: none idle, and no
        overflow connection left to open (SQLAlchemy's `QueuePool._do_get`)."""
        queue: HandOverQueue[Any] = self._pool  # type: ignore[assignment]
        return (
            queue.next_idle() is None
            and self._max_overflow > -1
            and self._overflow >= self._max_overflow
        )

    async def wait_for_connection(self) -> None:
        """Wait in line for a returned connection without a greenlet; the next checkout
        (`connect_at_hand`, or `connect()` in a greenlet if that one needs I/O) takes it.
        Raises SQLAlchemy's own pool timeout, as a checkout that waited would."""
        queue: HandOverQueue[Any] = self._pool  # type: ignore[assignment]
        try:
            await queue.wait_for_item(self._timeout)
        except Empty:
            pass  # raised below, outside the `except`, as SQLAlchemy does
        else:
            return
        raise exc.TimeoutError(
            f"QueuePool limit of size {self.size()} overflow {self.overflow()} reached, "
            f"connection timed out, timeout {self._timeout:0.2f}",
            code="3o7r",
        )

    def connect_at_hand(self) -> PoolProxiedConnection | None:
        """`connect()` when it needs no I/O, else None (then check out in a greenlet, as
        SQLAlchemy does): an idle connection that is still connected, not due for
        recycling nor invalidated, and no pre-ping or checkout listener to run. Such a
        checkout is bookkeeping only (see `driver._on_pool` for what it saves)."""
        if self._pre_ping or self.dispatch.checkout:
            return None
        queue: HandOverQueue[Any] = self._pool  # type: ignore[assignment]
        record = queue.next_idle()
        if record is None or record.dbapi_connection is None:
            return None
        born = record.starttime
        if self._recycle > -1 and time.time() - born > self._recycle:
            return None
        if self._invalidate_time > born or record._soft_invalidate_time > born:
            return None
        return self.connect()  # takes that record: nothing awaited since it was looked at

    def returns_at_hand(self, connection: PoolProxiedConnection) -> bool:
        """Whether `connection.close()` (its return) needs no I/O: not invalidated, no
        transaction for the reset to roll back, no checkin or reset listener, and a waiter
        to hand it to or room in the queue (else an overflow connection is closed)."""
        adapted = connection.dbapi_connection
        # `_started`: SQLAlchemy's asyncpg adapter has a transaction for the reset to roll
        # back (its private state, pinned SQLAlchemy; were it gone, the return is awaited).
        if adapted is None or getattr(adapted, "_started", True):
            return False
        if self.dispatch.checkin or self.dispatch.reset:
            return False
        queue: HandOverQueue[Any] = self._pool  # type: ignore[assignment]
        return queue.takes_without_waiting()
