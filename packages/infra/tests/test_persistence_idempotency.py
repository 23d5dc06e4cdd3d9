"""SqlaIdempotencyStore against PostgreSQL: claim, races, completion, purge."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Final
from uuid import UUID

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from wallet_domain.model.idempotency import IdempotencyRecord, IdempotencyState, StoredResponse
from wallet_infra.clock import SystemClock
from wallet_infra.ids import UuidV7Generator
from wallet_infra.persistence.idempotency_store import (
    PooledIdempotencyReplies,
    SqlaIdempotencyStore,
)
from wallet_testkit.db import fetch
from wallet_testkit.polling import eventually

# Far in the past, so a purge in this test only reaches records this test made.
EPOCH: Final = datetime(2001, 1, 1, tzinfo=UTC)
WAIT_S: Final = 30.0
clock: Final = SystemClock()
ids: Final = UuidV7Generator()


def in_progress(
    user_id: str, key: str = "key-1", *, at: datetime | None = None, payment_id: UUID | None = None
) -> IdempotencyRecord:
    return IdempotencyRecord(
        user_id=user_id,
        key=key,
        fingerprint="f" * 64,
        state=IdempotencyState.IN_PROGRESS,
        created_at=at or clock.now(),
        payment_id=payment_id,
    )


async def claimed(
    session: AsyncSession, user_id: str, *, payment_id: UUID | None = None
) -> tuple[SqlaIdempotencyStore, IdempotencyRecord]:
    """A store on `session`, and the IN_PROGRESS record it has just claimed."""
    store = SqlaIdempotencyStore(session=session)
    record = in_progress(user_id, payment_id=payment_id)
    assert await store.claim(record) is None
    return store, record


async def test_the_first_claim_inserts_and_later_ones_see_it(
    session: AsyncSession, user_id: str
) -> None:
    store = SqlaIdempotencyStore(session=session)
    record = in_progress(user_id)

    assert await store.claim(record) is None
    assert await store.claim(record) == record
    assert await store.claim(in_progress(user_id, "other-key")) is None
    assert await store.claim(in_progress("another-user", record.key)) is None


async def test_complete_stores_the_exact_reply(session: AsyncSession, user_id: str) -> None:
    store, record = await claimed(session, user_id)
    reply = StoredResponse(201, b'{"id":"x","amount":100}\n\x00\xff')

    await store.complete(user_id, record.key, reply, clock.now())

    stored = await store.claim(record)
    assert stored is not None
    assert stored.state is IdempotencyState.COMPLETED
    assert stored.response == reply
    assert type(stored.response.body) is bytes


async def test_a_stored_reply_is_never_replaced(session: AsyncSession, user_id: str) -> None:
    store, record = await claimed(session, user_id)
    first = StoredResponse(402, b'{"error":"first"}')

    await store.complete(user_id, record.key, first, clock.now())
    await store.complete(user_id, record.key, StoredResponse(201, b"{}"), clock.now())

    stored = await store.claim(record)
    assert stored is not None
    assert stored.response == first


async def test_complete_returns_the_reply_the_key_holds(
    session: AsyncSession, user_id: str
) -> None:
    store, record = await claimed(session, user_id, payment_id=ids.new_id())
    first, second = StoredResponse(402, b"declined"), StoredResponse(201, b"late")

    assert await store.complete(user_id, record.key, first, clock.now()) == first
    # Answered already: the first reply stands and is what the caller must send.
    assert await store.complete(user_id, record.key, second, clock.now()) == first

    stored = await store.claim(record)
    assert stored is not None
    assert (stored.state, stored.response) == (IdempotencyState.COMPLETED, first)
    with pytest.raises(LookupError):
        await store.complete(user_id, "no-such-key", first, clock.now())


async def backend_pid(session: AsyncSession) -> int:
    """The server process behind `session`'s connection (asked of the driver: no query)."""
    raw = await (await session.connection()).get_raw_connection()
    assert raw.driver_connection is not None
    pid: int = raw.driver_connection.get_server_pid()
    return pid


async def wait_for_waiters(database_url: str, holder_pid: int, count: int) -> None:
    """Until `count` server processes wait on a lock `holder_pid` holds."""

    async def queued() -> bool:
        [row] = await fetch(
            database_url,
            "SELECT count(*) AS n FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))",
            holder_pid,
        )
        return int(row["n"]) == count

    await eventually(queued, timeout_s=WAIT_S)


async def race(
    session_factory: async_sessionmaker[AsyncSession],
    database_url: str,
    record: IdempotencyRecord,
    *,
    claimers: int,
    first_commits: bool,
) -> list[IdempotencyRecord | None]:
    """One claim, held open while `claimers - 1` others queue behind it, then ended."""
    async with session_factory() as first:
        assert await SqlaIdempotencyStore(session=first).claim(record) is None
        first_pid = await backend_pid(first)

        async def claim() -> IdempotencyRecord | None:
            async with session_factory() as own:
                found = await SqlaIdempotencyStore(session=own).claim(record)
                await own.commit()
                return found

        others = [asyncio.create_task(claim()) for _ in range(claimers - 1)]
        await wait_for_waiters(database_url, first_pid, claimers - 1)
        assert not any(task.done() for task in others)  # all blocked on the first
        await (first.commit() if first_commits else first.rollback())
        return [None, *await asyncio.gather(*others)]


async def test_get_reads_the_committed_holder_without_waiting_for_one_in_flight(
    session_factory: async_sessionmaker[AsyncSession], user_id: str
) -> None:
    record = in_progress(user_id, payment_id=ids.new_id())
    async with session_factory() as holder, session_factory() as reader:
        assert await SqlaIdempotencyStore(session=holder).claim(record) is None
        store = SqlaIdempotencyStore(session=reader)
        # In flight (uncommitted): a read neither sees it nor waits for it.
        assert await asyncio.wait_for(store.get(user_id, record.key), timeout=5) is None
        await holder.commit()
        assert await store.get(user_id, record.key) == record
        assert await store.get(user_id, "no-such-key") is None


async def test_twenty_concurrent_claims_one_inserts_when_it_commits(
    session_factory: async_sessionmaker[AsyncSession], database_url: str, user_id: str
) -> None:
    record = in_progress(user_id)

    outcomes = await race(session_factory, database_url, record, claimers=20, first_commits=True)

    assert outcomes.count(None) == 1
    assert all(found == record for found in outcomes if found is not None)


async def test_when_the_first_claimer_rolls_back_exactly_one_waiter_inserts(
    session_factory: async_sessionmaker[AsyncSession], database_url: str, user_id: str
) -> None:
    record = in_progress(user_id)

    outcomes = await race(session_factory, database_url, record, claimers=10, first_commits=False)

    assert outcomes.count(None) == 2  # the rolled-back first, and one waiter
    assert all(found == record for found in outcomes if found is not None)


async def test_purge_deletes_old_completed_records_in_batches(
    session: AsyncSession, user_id: str
) -> None:
    store = SqlaIdempotencyStore(session=session)
    reply = StoredResponse(201, b"{}")
    old = [in_progress(user_id, f"old-{i}", at=EPOCH) for i in range(5)]
    stuck = in_progress(user_id, "stuck", at=EPOCH)
    fresh = in_progress(user_id, "fresh", at=EPOCH + timedelta(days=2))
    for record in [*old, stuck, fresh]:
        await store.claim(record)
    for record in [*old, fresh]:
        await store.complete(user_id, record.key, reply, record.created_at)
    cutoff = EPOCH + timedelta(days=1)

    assert await store.purge_older_than(cutoff, batch=2) == 2
    assert await store.purge_older_than(cutoff, batch=2) == 2
    assert await store.purge_older_than(cutoff, batch=2) == 1
    assert await store.purge_older_than(cutoff, batch=2) == 0

    for record in old:
        assert await store.claim(record) is None  # gone: the key is free again
    assert await store.claim(stuck) == stuck  # IN_PROGRESS is never purged
    kept = await store.claim(fresh)
    assert kept is not None
    assert kept.state is IdempotencyState.COMPLETED


async def test_pooled_replies_read_and_complete_each_as_a_statement_of_its_own(
    session_factory: async_sessionmaker[AsyncSession],
    engine: AsyncEngine,
    database_url: str,
    user_id: str,
) -> None:
    async with session_factory() as session:
        _, record = await claimed(session, user_id)
        await session.commit()
    replies = PooledIdempotencyReplies(engine=engine)
    first, second = StoredResponse(201, b'{"id":"x"}'), StoredResponse(402, b"late")

    held = await replies.get(user_id, record.key)
    assert held is not None
    assert held.state is IdempotencyState.IN_PROGRESS
    assert await replies.complete(user_id, record.key, first, clock.now()) == first
    # Committed by itself: another connection sees the reply, which never changes.
    query = "SELECT state, response_body FROM idempotency_keys WHERE user_id = $1"
    rows = await fetch(database_url, query, user_id)
    assert [tuple(row) for row in rows] == [("COMPLETED", first.body)]
    assert await replies.complete(user_id, record.key, second, clock.now()) == first
    assert await replies.get(user_id, "no-such-key") is None
    with pytest.raises(LookupError):
        await replies.complete(user_id, "no-such-key", first, clock.now())
