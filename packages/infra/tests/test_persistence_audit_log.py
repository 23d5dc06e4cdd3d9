"""AsyncpgAuditLog against PostgreSQL: insert once per event_id, committed when append
returns, batched across concurrent appends, concurrent instances serialize."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest_asyncio
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from wallet_domain.model.events import DomainEvent, EventType
from wallet_infra.persistence.audit_log import AsyncpgAuditLog
from wallet_infra.persistence.tables import audit_log

from .payment_kit import an_event, ids


def event(user_id: str, **payload: Any) -> DomainEvent:
    return an_event(user_id, EventType.REFUND_CREATED, payload)


@pytest_asyncio.fixture(loop_scope="session")
async def log(engine: AsyncEngine) -> AsyncIterator[AsyncpgAuditLog]:
    adapter = AsyncpgAuditLog(engine=engine)
    yield adapter
    await adapter.aclose()


async def rows(session_factory: async_sessionmaker[AsyncSession], user_id: str) -> list[Any]:
    async with session_factory() as session:
        query = select(audit_log).where(audit_log.c.user_id == user_id).order_by(audit_log.c.id)
        return list((await session.execute(query)).all())


async def test_a_new_event_is_stored_with_every_envelope_field_and_committed(
    log: AsyncpgAuditLog, session_factory: async_sessionmaker[AsyncSession], user_id: str
) -> None:
    added = event(user_id, amount=2**62, note="café ☕", refund_of=str(ids.new_id()))

    assert await log.append(added) is True

    [row] = await rows(session_factory, user_id)  # another connection sees it: committed
    assert (row.event_id, row.event_type, row.aggregate_id, row.user_id) == (
        added.event_id,
        "refund.created",
        added.aggregate_id,
        user_id,
    )
    assert row.occurred_at == added.occurred_at
    assert row.payload == added.payload
    assert row.received_at is not None


async def test_the_same_event_again_changes_nothing(
    log: AsyncpgAuditLog, session_factory: async_sessionmaker[AsyncSession], user_id: str
) -> None:
    added = event(user_id, amount=1)
    assert await log.append(added) is True

    altered = replace(added, payload={"amount": 2})
    assert await log.append(altered) is False

    [row] = await rows(session_factory, user_id)
    assert row.payload == {"amount": 1}


async def test_concurrent_appends_share_one_batch_and_each_gets_its_own_answer(
    log: AsyncpgAuditLog, session_factory: async_sessionmaker[AsyncSession], user_id: str
) -> None:
    stored = event(user_id, n=0)
    assert await log.append(stored) is True
    fresh = [event(user_id, n=n) for n in range(1, 6)]

    results = await asyncio.gather(*(log.append(e) for e in [*fresh, stored, fresh[0]]))

    # One row per event; the copy already stored and the second copy in the batch: False.
    assert results == [True] * 5 + [False, False]
    assert [row.event_id for row in await rows(session_factory, user_id)] == [
        e.event_id for e in [stored, *fresh]
    ]


async def test_one_unstorable_event_fails_alone(
    log: AsyncpgAuditLog, session_factory: async_sessionmaker[AsyncSession], user_id: str
) -> None:
    good = [event(user_id, n=n) for n in range(3)]
    bad = event(user_id, note="\u0000")  # jsonb refuses a NUL character

    results = await asyncio.gather(*(log.append(e) for e in [*good, bad]), return_exceptions=True)

    assert results[:3] == [True] * 3
    assert isinstance(results[3], Exception)
    assert {row.event_id for row in await rows(session_factory, user_id)} == {
        e.event_id for e in good
    }


async def test_concurrent_instances_appending_one_event_store_one_row(
    engine: AsyncEngine, session_factory: async_sessionmaker[AsyncSession], user_id: str
) -> None:
    added = event(user_id)
    instances = [AsyncpgAuditLog(engine=engine) for _ in range(8)]

    results = await asyncio.gather(*(instance.append(added) for instance in instances))

    assert sorted(results) == [False] * 7 + [True]
    async with session_factory() as session:
        count = select(func.count()).where(audit_log.c.event_id == added.event_id)
        assert await session.scalar(count) == 1
    for instance in instances:
        await instance.aclose()
