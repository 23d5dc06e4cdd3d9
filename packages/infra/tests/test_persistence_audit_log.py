"""SqlaAuditLog against PostgreSQL: insert once per event_id, concurrent inserts serialize."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any, Final

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from wallet_domain.model.events import DomainEvent, EventType
from wallet_infra.clock import SystemClock
from wallet_infra.ids import UuidV7Generator
from wallet_infra.persistence.audit_log import SqlaAuditLog
from wallet_infra.persistence.tables import audit_log

clock: Final = SystemClock()
ids: Final = UuidV7Generator()


def event(user_id: str, **payload: Any) -> DomainEvent:
    return DomainEvent(
        event_id=ids.new_id(),
        event_type=EventType.REFUND_CREATED,
        occurred_at=clock.now(),
        aggregate_id=ids.new_id(),
        user_id=user_id,
        payload=payload,
    )


async def rows(session: AsyncSession, user_id: str) -> list[Any]:
    query = select(audit_log).where(audit_log.c.user_id == user_id)
    return list((await session.execute(query)).all())


async def test_a_new_event_is_stored_with_every_envelope_field(
    session: AsyncSession, user_id: str
) -> None:
    added = event(user_id, amount=2**62, note="café ☕", refund_of=str(ids.new_id()))

    assert await SqlaAuditLog(session=session).append(added) is True

    [row] = await rows(session, user_id)
    assert (row.event_id, row.event_type, row.aggregate_id, row.user_id) == (
        added.event_id,
        "refund.created",
        added.aggregate_id,
        user_id,
    )
    assert row.occurred_at == added.occurred_at
    assert row.payload == added.payload
    assert row.received_at is not None


async def test_the_same_event_again_changes_nothing(session: AsyncSession, user_id: str) -> None:
    added = event(user_id, amount=1)
    log = SqlaAuditLog(session=session)
    assert await log.append(added) is True
    await session.commit()

    altered = replace(added, payload={"amount": 2})
    assert await log.append(altered) is False
    await session.commit()

    [row] = await rows(session, user_id)
    assert row.payload == {"amount": 1}


async def test_concurrent_appends_of_one_event_store_one_row(
    session_factory: async_sessionmaker[AsyncSession], user_id: str
) -> None:
    added = event(user_id)

    async def append_and_commit() -> bool:
        async with session_factory() as session:
            inserted = await SqlaAuditLog(session=session).append(added)
            await session.commit()
            return inserted

    results = await asyncio.gather(*(append_and_commit() for _ in range(8)))

    assert sorted(results) == [False] * 7 + [True]
    async with session_factory() as session:
        count = select(func.count()).where(audit_log.c.event_id == added.event_id)
        assert await session.scalar(count) == 1
