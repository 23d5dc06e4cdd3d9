"""AsyncpgOutboxRelayStore against PostgreSQL: SKIP LOCKED claims, sent marks, retries set
aside until due, purges.

Runs on the session's private database: claiming takes *every* unsent row, so the
shared test database (where other tests leave unsent events on purpose) would not do.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any, Final
from uuid import UUID

import pytest
import pytest_asyncio
from sqlalchemy import delete, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from wallet_domain.model.events import DomainEvent, EventType
from wallet_infra.ids import UuidV7Generator
from wallet_infra.persistence.driver import PoolTransaction
from wallet_infra.persistence.engine import make_engine, make_session_factory
from wallet_infra.persistence.outbox import SqlaOutboxWriter
from wallet_infra.persistence.outbox_relay_store import AsyncpgOutboxRelayStore
from wallet_infra.persistence.tables import outbox

pytestmark = pytest.mark.integration

TRACEPARENT: Final = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
ids: Final = UuidV7Generator()
NOW: Final = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
MINUTE: Final = timedelta(minutes=1)

Sessions = async_sessionmaker[AsyncSession]


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def private_engine(private_database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(private_database_url, pool_size=5, statement_timeout_ms=30_000)
    yield engine
    await engine.dispose()


@pytest_asyncio.fixture(loop_scope="session")
async def sessions(private_engine: AsyncEngine) -> Sessions:
    """Sessions on an empty outbox (whatever earlier tests left is deleted)."""
    factory = make_session_factory(private_engine)
    async with factory() as session:
        await session.execute(delete(outbox))
        await session.commit()
    return factory


@asynccontextmanager
async def batch(
    engine: AsyncEngine,
) -> AsyncIterator[tuple[AsyncpgOutboxRelayStore, PoolTransaction]]:
    """A relay batch's store and transaction, closed (rolled back if open) on the way out."""
    transaction = PoolTransaction(engine=engine)
    try:
        yield AsyncpgOutboxRelayStore(transaction=transaction), transaction
    finally:
        await transaction.close()


async def seed(sessions: Sessions, count: int, *, traceparent: str | None = None) -> list[UUID]:
    events = [
        DomainEvent(
            event_id=ids.new_id(),
            event_type=list(EventType)[i % len(EventType)],
            occurred_at=NOW,
            aggregate_id=ids.new_id(),
            user_id=f"user-{i}",
            payload={"n": i, "amount": 100 + i},
        )
        for i in range(count)
    ]
    async with sessions() as session:
        writer = SqlaOutboxWriter(session=session, traceparent_provider=lambda: traceparent)
        for event in events:
            await writer.add(event)
        await session.commit()
    return [event.event_id for event in events]


async def rows(sessions: Sessions) -> dict[UUID, Any]:
    async with sessions() as session:
        result = await session.execute(select(outbox))
        return {row.event_id: row for row in result}


async def test_claim_returns_unsent_events_oldest_first_with_their_trace(
    sessions: Sessions, private_engine: AsyncEngine
) -> None:
    seeded = await seed(sessions, 3, traceparent=TRACEPARENT)
    async with batch(private_engine) as (store, _):
        claimed = await store.claim_batch(10)

    assert [m.event.event_id for m in claimed] == seeded
    first = claimed[0]
    assert first.traceparent == TRACEPARENT
    assert first.event.event_type is EventType.PAYMENT_CREATED
    assert first.event.occurred_at == NOW
    assert first.event.user_id == "user-0"
    assert first.event.payload == {"n": 0, "amount": 100}
    assert first.event.schema_version == 1
    assert type(first.event.event_id) is UUID  # not asyncpg's subclass: orjson needs stdlib
    assert type(first.event.aggregate_id) is UUID


async def test_claim_honours_the_limit(sessions: Sessions, private_engine: AsyncEngine) -> None:
    seeded = await seed(sessions, 5)
    async with batch(private_engine) as (store, _):
        claimed = await store.claim_batch(2)
    assert [m.event.event_id for m in claimed] == seeded[:2]


async def test_concurrent_claimers_get_disjoint_batches(
    sessions: Sessions, private_engine: AsyncEngine
) -> None:
    seeded = await seed(sessions, 10)
    async with batch(private_engine) as (first, _), batch(private_engine) as (second, _):
        batch_1 = await first.claim_batch(4)
        batch_2 = await second.claim_batch(100)
        ids_1 = {m.event.event_id for m in batch_1}
        ids_2 = {m.event.event_id for m in batch_2}

    assert len(ids_1) == 4
    assert not ids_1 & ids_2
    assert ids_1 | ids_2 == set(seeded)


async def test_many_concurrent_claimers_never_share_a_row(
    sessions: Sessions, private_engine: AsyncEngine
) -> None:
    seeded = await seed(sessions, 60)
    barrier = asyncio.Barrier(6)

    async def claim() -> list[UUID]:
        async with batch(private_engine) as (store, _):
            claimed = await store.claim_batch(10)
            await barrier.wait()  # hold the locks until every claimer has claimed
            return [m.event.event_id for m in claimed]

    batches = await asyncio.gather(*(claim() for _ in range(6)))
    flat = [event_id for batch in batches for event_id in batch]
    assert len(flat) == len(set(flat)) == 60
    assert set(flat) == set(seeded)


async def test_a_rolled_back_claim_releases_its_rows(
    sessions: Sessions, private_engine: AsyncEngine
) -> None:
    seeded = await seed(sessions, 3)
    async with batch(private_engine) as (store, transaction):
        await store.claim_batch(3)
        await transaction.rollback()
        # The same transaction object begins anew on its next statement.
        again = await store.claim_batch(3)
    assert [m.event.event_id for m in again] == seeded


async def test_a_batch_left_open_is_rolled_back_when_closed(
    sessions: Sessions, private_engine: AsyncEngine
) -> None:
    seeded = await seed(sessions, 2)
    async with batch(private_engine) as (store, _):
        await store.claim_batch(2)
        await store.mark_sent(seeded, datetime.now(UTC))
    stored = await rows(sessions)
    assert [stored[i].sent_at for i in seeded] == [None, None]
    async with batch(private_engine) as (store, _):
        assert len(await store.claim_batch(10)) == 2


async def test_a_batch_cancelled_mid_transaction_never_returns_its_connection_in_it(
    sessions: Sessions, private_engine: AsyncEngine
) -> None:
    seeded = await seed(sessions, 2)
    claimed = asyncio.Event()

    async def claim_and_hang() -> None:
        async with batch(private_engine) as (store, _):
            await store.claim_batch(2)
            claimed.set()
            await asyncio.Event().wait()

    task = asyncio.create_task(claim_and_hang())
    await claimed.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    async with batch(private_engine) as (store, transaction):
        again = await store.claim_batch(10)
        await store.mark_sent([again[0].event.event_id], datetime.now(UTC))
        await transaction.commit()
    assert [m.event.event_id for m in again] == seeded
    stored = await rows(sessions)
    assert stored[seeded[0]].sent_at is not None


async def test_mark_sent_stamps_only_the_given_events(
    sessions: Sessions, private_engine: AsyncEngine
) -> None:
    seeded = await seed(sessions, 4)
    at = datetime.now(UTC)
    async with batch(private_engine) as (store, transaction):
        await store.claim_batch(4)
        await store.mark_sent(seeded[:3], at)
        await store.mark_sent([], at)
        await transaction.commit()

    stored = await rows(sessions)
    assert [stored[i].sent_at for i in seeded] == [at, at, at, None]
    async with batch(private_engine) as (store, _):
        left = await store.claim_batch(10)
    assert [m.event.event_id for m in left] == [seeded[3]]


async def database_now(sessions: Sessions) -> datetime:
    async with sessions() as session:
        now: datetime = (await session.execute(text("SELECT clock_timestamp()"))).scalar_one()
        return now


async def test_record_failure_counts_attempts_and_sets_each_retry_on_the_database_clock(
    sessions: Sessions, private_engine: AsyncEngine
) -> None:
    seeded = await seed(sessions, 3)
    for delay in (timedelta(seconds=1), timedelta(seconds=2)):
        before = await database_now(sessions)
        async with batch(private_engine) as (store, transaction):
            await store.record_failure({seeded[0]: delay, seeded[2]: delay + MINUTE})
            await store.record_failure({})
            await transaction.commit()
        after = await database_now(sessions)

    stored = await rows(sessions)
    first, healthy, other = (stored[i] for i in seeded)
    assert (first.attempts, first.sent_at) == (2, None)
    assert before + delay <= first.next_attempt_at <= after + delay
    assert before + delay + MINUTE <= other.next_attempt_at <= after + delay + MINUTE
    assert (other.attempts, healthy.attempts, healthy.next_attempt_at) == (2, 0, None)


async def test_a_claim_skips_events_whose_retry_is_not_due_and_reads_their_attempts(
    sessions: Sessions, private_engine: AsyncEngine
) -> None:
    waiting, due, fresh_1, fresh_2 = await seed(sessions, 4)
    async with batch(private_engine) as (store, transaction):
        await store.record_failure({waiting: MINUTE, due: timedelta(0)})
        await transaction.commit()

    async with batch(private_engine) as (store, _):
        # The waiting row takes no place in the limit: the newer events fill the batch.
        claimed = await store.claim_batch(3)
    assert [m.event.event_id for m in claimed] == [due, fresh_1, fresh_2]
    assert [m.attempts for m in claimed] == [1, 0, 0]

    async with sessions() as session:  # a minute goes by on the database's clock
        await session.execute(
            text("UPDATE outbox SET next_attempt_at = next_attempt_at - interval '1 minute'")
        )
        await session.commit()
    async with batch(private_engine) as (store, _):
        later = await store.claim_batch(1)  # its retry is due now
    assert [(m.event.event_id, m.attempts) for m in later] == [(waiting, 1)]


async def test_purge_deletes_old_sent_events_in_batches(
    sessions: Sessions, private_engine: AsyncEngine
) -> None:
    seeded = await seed(sessions, 7)
    old, recent = NOW - timedelta(days=2), NOW
    async with batch(private_engine) as (store, transaction):
        await store.mark_sent(seeded[:5], old)
        await store.mark_sent(seeded[5:6], recent)
        await transaction.commit()

    cutoff = NOW - timedelta(days=1)
    deleted = []
    async with batch(private_engine) as (store, transaction):
        while count := await store.purge_sent_before(cutoff, 2):
            deleted.append(count)
            await transaction.commit()

    assert deleted == [2, 2, 1]
    assert set(await rows(sessions)) == set(seeded[5:])  # recent sent + unsent remain
