"""SqlaConsumerInbox against PostgreSQL: first time once per (consumer, event), across
sessions and concurrent transactions; a rolled-back record does not count."""

from __future__ import annotations

import asyncio
from typing import Final

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from wallet_infra.ids import UuidV7Generator
from wallet_infra.persistence.consumer_inbox import SqlaConsumerInbox

ids: Final = UuidV7Generator()


async def test_first_time_once_per_consumer_and_event(session: AsyncSession) -> None:
    inbox = SqlaConsumerInbox(session=session)
    event_id = ids.new_id()

    assert await inbox.first_time("metrics", event_id) is True
    assert await inbox.first_time("metrics", event_id) is False
    assert await inbox.first_time("another-consumer", event_id) is True
    assert await inbox.first_time("metrics", ids.new_id()) is True


async def test_a_record_rolled_back_with_its_transaction_leaves_the_event_unseen(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    event_id = ids.new_id()
    async with session_factory() as session:
        await session.execute(text("SELECT 1"))  # a transaction is open: the record joins it
        assert await SqlaConsumerInbox(session=session).first_time("metrics", event_id)
        await session.rollback()

    async with session_factory() as session:
        assert await SqlaConsumerInbox(session=session).first_time("metrics", event_id)
        await session.commit()

    async with session_factory() as session:
        assert not await SqlaConsumerInbox(session=session).first_time("metrics", event_id)


async def test_without_an_open_transaction_a_record_commits_at_once(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    event_id = ids.new_id()
    async with session_factory() as session:
        assert await SqlaConsumerInbox(session=session).first_time("metrics", event_id)
        await session.rollback()  # nothing left to roll back

    async with session_factory() as session:
        assert not await SqlaConsumerInbox(session=session).first_time("metrics", event_id)


async def test_concurrent_deliveries_of_one_event_see_first_time_once(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    event_id = ids.new_id()

    async def deliver() -> bool:
        async with session_factory() as session:
            first = await SqlaConsumerInbox(session=session).first_time("metrics", event_id)
            await session.commit()
            return first

    results = await asyncio.gather(*(deliver() for _ in range(8)))

    assert sorted(results) == [False] * 7 + [True]
