"""AsyncpgConsumerInbox against PostgreSQL: first time once per (consumer, event),
committed when `first_time` returns, batched across concurrent records, concurrent
instances serialize; `forget_before` deletes a consumer's old records, a bounded batch at a
time, side by side with other purges."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Final
from uuid import UUID, uuid4

import pytest_asyncio
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from wallet_infra.clock import SystemClock
from wallet_infra.ids import UuidV7Generator
from wallet_infra.persistence.consumer_inbox import AsyncpgConsumerInbox

ids: Final = UuidV7Generator()
clock: Final = SystemClock()


@pytest_asyncio.fixture(loop_scope="session")
async def inbox(engine: AsyncEngine) -> AsyncIterator[AsyncpgConsumerInbox]:
    adapter = AsyncpgConsumerInbox(engine=engine)
    yield adapter
    await adapter.aclose()


async def test_first_time_once_per_consumer_and_event(inbox: AsyncpgConsumerInbox) -> None:
    event_id = ids.new_id()

    assert await inbox.first_time("metrics", event_id) is True
    assert await inbox.first_time("metrics", event_id) is False
    assert await inbox.first_time("another-consumer", event_id) is True
    assert await inbox.first_time("metrics", ids.new_id()) is True


async def test_a_record_is_committed_when_first_time_returns(
    inbox: AsyncpgConsumerInbox, engine: AsyncEngine
) -> None:
    event_id = ids.new_id()
    assert await inbox.first_time("metrics", event_id)

    other = AsyncpgConsumerInbox(engine=engine)  # another instance, other connections
    assert not await other.first_time("metrics", event_id)
    await other.aclose()


async def test_concurrent_records_share_one_batch_and_each_gets_its_own_answer(
    inbox: AsyncpgConsumerInbox,
) -> None:
    seen = ids.new_id()
    assert await inbox.first_time("metrics", seen)
    fresh = [ids.new_id() for _ in range(4)]

    results = await asyncio.gather(
        *(inbox.first_time("metrics", event_id) for event_id in [*fresh, seen, fresh[0]])
    )

    assert results == [True] * 4 + [False, False]


async def test_concurrent_instances_recording_one_event_see_first_time_once(
    engine: AsyncEngine,
) -> None:
    event_id = ids.new_id()
    instances = [AsyncpgConsumerInbox(engine=engine) for _ in range(8)]

    results = await asyncio.gather(*(i.first_time("metrics", event_id) for i in instances))

    assert sorted(results) == [False] * 7 + [True]
    for instance in instances:
        await instance.aclose()


# ------------------------------------------------------------------------- forget_before


async def _seed(engine: AsyncEngine, consumer: str, ages: list[timedelta]) -> list[UUID]:
    """One record of `consumer` per age, processed that long before now; their ids."""
    event_ids = [ids.new_id() for _ in ages]
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO consumer_inbox (consumer, event_id, processed_at)"
                " VALUES (:consumer, :event_id, now() - CAST(:age AS interval))"
            ),
            [
                {"consumer": consumer, "event_id": event_id, "age": age}
                for event_id, age in zip(event_ids, ages, strict=True)
            ],
        )
    return event_ids


async def _remaining(engine: AsyncEngine, consumer: str) -> set[UUID]:
    async with engine.connect() as conn:
        result = await conn.execute(
            text("SELECT event_id FROM consumer_inbox WHERE consumer = :consumer"),
            {"consumer": consumer},
        )
        return {UUID(str(row[0])) for row in result}


def _consumer() -> str:
    return f"purge-test-{uuid4().hex[:12]}"  # isolates the test in the shared database


async def test_forget_deletes_the_oldest_records_of_that_consumer_up_to_the_limit(
    inbox: AsyncpgConsumerInbox, engine: AsyncEngine
) -> None:
    consumer, other = _consumer(), _consumer()
    oldest = await _seed(engine, consumer, [timedelta(days=30 - i) for i in range(3)])
    old = await _seed(engine, consumer, [timedelta(days=10), timedelta(days=9)])
    young = await _seed(engine, consumer, [timedelta(hours=1), timedelta(days=6)])
    others = await _seed(engine, other, [timedelta(days=30)] * 2)
    cutoff = clock.now() - timedelta(days=7)

    assert await inbox.forget_before(consumer, cutoff, 3) == 3
    assert await _remaining(engine, consumer) == {*old, *young}  # oldest first

    assert await inbox.forget_before(consumer, cutoff, 3) == 2
    assert await inbox.forget_before(consumer, cutoff, 3) == 0
    assert await _remaining(engine, consumer) == set(young)
    assert await _remaining(engine, other) == set(others)
    assert not set(oldest) & await _remaining(engine, consumer)


async def test_a_forgotten_event_is_a_first_time_again(
    inbox: AsyncpgConsumerInbox, engine: AsyncEngine
) -> None:
    """What the retention guards against: forgetting makes a redelivery count again."""
    consumer = _consumer()
    [event_id] = await _seed(engine, consumer, [timedelta(days=8)])
    assert not await inbox.first_time(consumer, event_id)

    assert await inbox.forget_before(consumer, clock.now() - timedelta(days=7), 10) == 1

    assert await inbox.first_time(consumer, event_id)


async def test_purges_side_by_side_never_fail_and_delete_each_record_once(
    engine: AsyncEngine,
) -> None:
    consumer = _consumer()
    await _seed(engine, consumer, [timedelta(days=8)] * 60)
    cutoff = clock.now() - timedelta(days=7)
    instances = [AsyncpgConsumerInbox(engine=engine) for _ in range(6)]

    # Rows another purge holds are skipped, not waited for: no lock waits, no deadlocks.
    counts = await asyncio.gather(
        *(i.forget_before(consumer, cutoff, 10) for i in instances for _ in range(2))
    )
    rest = await instances[0].forget_before(consumer, cutoff, 100)

    assert sum(counts) + rest == 60
    assert await _remaining(engine, consumer) == set()
    for instance in instances:
        await instance.aclose()
