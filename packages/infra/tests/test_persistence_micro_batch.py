"""MicroBatcher: concurrent submissions written together, each answered on its own;
a failed batch falls back to one write per item; a lone item waits at most max_wait_s."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Final

import pytest
from wallet_infra.persistence.micro_batch import MicroBatcher
from wallet_testkit.polling import eventually

WAIT_S: Final = 5.0


def pending(batcher: MicroBatcher[int, int]) -> int:
    """Items submitted and not yet handed to a write (the batcher's own queue)."""
    return len(batcher._pending)


def timer_fired(batcher: MicroBatcher[int, int]) -> bool:
    """The pending batch's max-wait timer is not set (it fired, or none was started)."""
    return batcher._timer is None


async def _now(value: bool) -> bool:
    return value


class Recorder:
    """Doubles each item; raises for the items in `poison` (and for any batch holding
    one), or for everything while `down`."""

    def __init__(self, poison: frozenset[int] = frozenset()) -> None:
        self.batches: list[list[int]] = []
        self.poison = poison
        self.down = False

    async def write(self, items: Sequence[int]) -> list[int]:
        self.batches.append(list(items))
        await asyncio.sleep(0)
        if self.down:
            raise ConnectionError("database went away")
        if self.poison & set(items):
            raise ValueError(f"cannot store {sorted(self.poison & set(items))}")
        return [2 * item for item in items]


async def test_concurrent_items_go_in_one_batch_and_get_their_own_results() -> None:
    recorder = Recorder()
    batcher = MicroBatcher(write=recorder.write, max_size=100, max_wait_s=0.001)

    results = await asyncio.gather(*(batcher.submit(n) for n in range(10)))

    assert results == [2 * n for n in range(10)]
    assert recorder.batches == [list(range(10))]


async def test_a_full_batch_is_written_without_waiting_for_the_timer() -> None:
    recorder = Recorder()
    batcher = MicroBatcher(write=recorder.write, max_size=4, max_wait_s=3600)

    results = await asyncio.wait_for(asyncio.gather(*(batcher.submit(n) for n in range(8))), 5)

    assert results == [2 * n for n in range(8)]
    assert recorder.batches == [[0, 1, 2, 3], [4, 5, 6, 7]]


async def test_a_lone_item_is_written_after_max_wait() -> None:
    recorder = Recorder()
    batcher = MicroBatcher(write=recorder.write, max_size=100, max_wait_s=0.001)

    assert await asyncio.wait_for(batcher.submit(21), 5) == 42


async def test_a_failed_batch_falls_back_to_one_write_per_item() -> None:
    recorder = Recorder(poison=frozenset({3}))
    batcher = MicroBatcher(write=recorder.write, max_size=100, max_wait_s=0.001)

    results = await asyncio.gather(*(batcher.submit(n) for n in range(5)), return_exceptions=True)

    assert results[:3] == [0, 2, 4]
    assert results[4] == 8
    assert isinstance(results[3], ValueError)
    assert recorder.batches == [[0, 1, 2, 3, 4], [0], [1], [2], [3], [4]]


async def test_a_failure_of_every_write_reaches_every_item() -> None:
    recorder = Recorder()
    recorder.down = True
    batcher = MicroBatcher(write=recorder.write, max_size=100, max_wait_s=0.001)

    results = await asyncio.gather(*(batcher.submit(n) for n in range(3)), return_exceptions=True)

    assert all(isinstance(result, ConnectionError) for result in results)


async def test_a_cancelled_caller_does_not_stop_its_batch() -> None:
    recorder = Recorder()
    batcher = MicroBatcher(write=recorder.write, max_size=100, max_wait_s=3600)
    cancelled = asyncio.ensure_future(batcher.submit(1))
    kept = asyncio.ensure_future(batcher.submit(2))
    await eventually(lambda: _now(pending(batcher) == 2), timeout_s=WAIT_S)
    cancelled.cancel()
    await asyncio.gather(cancelled, return_exceptions=True)

    await batcher.aclose()  # writes the pending batch now

    assert await asyncio.wait_for(kept, 5) == 4
    assert recorder.batches == [[1, 2]]


async def test_aclose_writes_what_is_pending() -> None:
    recorder = Recorder()
    batcher = MicroBatcher(write=recorder.write, max_size=100, max_wait_s=3600)
    submitted = asyncio.ensure_future(batcher.submit(5))
    await eventually(lambda: _now(pending(batcher) == 1), timeout_s=WAIT_S)

    await batcher.aclose()

    assert await submitted == 10


def test_a_batch_holds_at_least_one_item() -> None:
    with pytest.raises(ValueError, match="max_size"):
        MicroBatcher(write=Recorder().write, max_size=0)
    with pytest.raises(ValueError, match="max_concurrent"):
        MicroBatcher(write=Recorder().write, max_concurrent=0)


async def test_while_the_writes_in_flight_are_busy_the_next_batch_fills() -> None:
    release, started = asyncio.Event(), asyncio.Event()
    batches: list[list[int]] = []

    async def slow_write(items: Sequence[int]) -> list[int]:
        batches.append(list(items))
        started.set()
        await release.wait()
        return list(items)

    batcher = MicroBatcher(write=slow_write, max_size=100, max_wait_s=0.0, max_concurrent=1)
    first = asyncio.ensure_future(batcher.submit(0))
    await asyncio.wait_for(started.wait(), 5)
    later = [asyncio.ensure_future(batcher.submit(n)) for n in range(1, 6)]
    # Until the batch's timer fired (it is no longer set) and found no free slot: all five
    # still wait, together.
    await eventually(lambda: _now(timer_fired(batcher) and pending(batcher) == 5), timeout_s=WAIT_S)
    assert batches == [[0]]

    release.set()

    assert await asyncio.wait_for(asyncio.gather(first, *later), 5) == list(range(6))
    assert batches == [[0], [1, 2, 3, 4, 5]]
