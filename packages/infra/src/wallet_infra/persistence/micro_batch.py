"""Group concurrent single-item writes into one statement: `MicroBatcher`.

A consumer handles up to its prefetch count of deliveries at once, each wanting one
small write. Sent one by one, every write costs a round trip and a commit, on both sides
of the socket; sent together, one statement (and one commit) serves all of them.

`submit(item)` joins the pending batch and waits for ITS result. A batch is written when
it reaches `max_size` items or `max_wait_s` after its first item, whichever comes first,
so at a low rate an item waits at most `max_wait_s`. At most `max_concurrent` batches are
written at a time; while they are, the next batch keeps filling and goes as soon as one
of them is done (group commit): the busier the consumer, the bigger its batches, and
the fewer pool connections it holds.

A batch whose write fails is written again item by item, so each item gets its own
outcome (one bad item does not fail the others, and a failure that is not the item's
fault, like a lost connection, reaches every item as its own exception). When
`submit` returns, the write of its item has committed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Sequence
from typing import Final, Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")
K = TypeVar("K", bound=Hashable)

MAX_SIZE: Final = 100
MAX_WAIT_S: Final = 0.002
MAX_CONCURRENT: Final = 2

# Writes the items in one transaction; returns one result per item, in order.
BatchWrite = Callable[[Sequence[T]], Awaitable[Sequence[R]]]


class MicroBatcher(Generic[T, R]):
    def __init__(
        self,
        *,
        write: BatchWrite[T, R],
        max_size: int = MAX_SIZE,
        max_wait_s: float = MAX_WAIT_S,
        max_concurrent: int = MAX_CONCURRENT,
    ) -> None:
        if max_size < 1 or max_concurrent < 1:
            raise ValueError("max_size and max_concurrent must be at least 1")
        self._write = write
        self._max_size = max_size
        self._max_wait_s = max_wait_s
        self._max_concurrent = max_concurrent
        self._pending: list[tuple[T, asyncio.Future[R]]] = []
        self._timer: asyncio.TimerHandle | None = None
        self._writing: set[asyncio.Task[None]] = set()

    async def submit(self, item: T) -> R:
        """The item's result once its batch committed; the write's exception if its own
        write failed. Cancelling the caller does not stop the batch."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[R] = loop.create_future()
        self._pending.append((item, future))
        if len(self._pending) >= self._max_size:
            self._flush()  # as many batches as free slots; the rest as slots free up
        elif self._timer is None:
            self._timer = loop.call_later(self._max_wait_s, self._flush)
        return await future

    async def aclose(self) -> None:
        """Write what is pending and wait for every batch being written."""
        self._flush()
        while self._writing or self._pending:
            await asyncio.gather(*self._writing, return_exceptions=True)
            self._flush()

    def _flush(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        loop = asyncio.get_running_loop()
        while self._pending and len(self._writing) < self._max_concurrent:
            batch = self._pending[: self._max_size]
            del self._pending[: self._max_size]
            task = loop.create_task(self._write_batch(batch))
            self._writing.add(task)
            task.add_done_callback(self._written)
        # Anything left waits for a write to finish (`_written`).

    def _written(self, task: asyncio.Task[None]) -> None:
        self._writing.discard(task)
        if self._pending:
            self._flush()

    async def _write_batch(self, batch: list[tuple[T, asyncio.Future[R]]]) -> None:
        try:
            try:
                results = await self._write([item for item, _ in batch])
                if len(results) != len(batch):
                    raise RuntimeError(f"{len(results)} results for {len(batch)} items")
            except Exception as error:
                if len(batch) == 1:
                    _settle_error(batch[0][1], error)
                    return
                for entry in batch:
                    await self._write_alone(*entry)
                return
            for (_, future), result in zip(batch, results, strict=False):
                if not future.done():
                    future.set_result(result)
        except BaseException:  # cancelled (shutdown): nobody gets an answer, none is acked
            for _, future in batch:
                future.cancel()
            raise

    async def _write_alone(self, item: T, future: asyncio.Future[R]) -> None:
        try:
            (result,) = await self._write([item])
        except Exception as error:
            _settle_error(future, error)
        else:
            if not future.done():
                future.set_result(result)


def _settle_error(future: asyncio.Future[R], error: Exception) -> None:
    if not future.done():
        future.set_exception(error)


def first_copies(keys: Sequence[K], written: set[K]) -> list[bool]:
    """Per key, in order: True for the first copy of a key the batch's statement wrote;
    False for a key it did not write (stored before) and for every later copy."""
    unclaimed = set(written)
    results = []
    for key in keys:
        results.append(key in unclaimed)
        unclaimed.discard(key)
    return results
