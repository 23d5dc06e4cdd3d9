"""AsyncpgConsumerInbox against PostgreSQL: first time once per (consumer, event),
committed when `first_time` returns, batched across concurrent records, concurrent
instances serialize."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Final

import pytest_asyncio
from sqlalchemy.ext.asyncio import AsyncEngine
from wallet_infra.ids import UuidV7Generator
from wallet_infra.persistence.consumer_inbox import AsyncpgConsumerInbox

ids: Final = UuidV7Generator()


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
