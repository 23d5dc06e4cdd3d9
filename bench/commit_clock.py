"""When did each outbox row commit? A lower bound, read by watching rows become visible.

PostgreSQL records no commit time (`track_commit_timestamp` is off and needs a restart),
and `outbox.occurred_at` is not one either: the API stamps `payment.created` when the
request starts, before the idempotency claim, the pool and the gateway bulkhead, so
under load it includes the API's own queueing before transaction 1 even begins.

`watch_commits(dsn, user_prefix)` polls the outbox for the bench's rows (woken by the
`outbox_inserted` NOTIFY that every committed insert of rows sends, else every `IDLE_POLL_S`).
A row first visible to a query was not visible to the previous one, so it committed
after that previous statement started: that statement's `statement_timestamp()` is the
row's commit lower bound. Measuring lag from it overstates the true commit -> audit lag
by at most the gap between two polls (a few ms under load), never understates it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Final
from uuid import UUID

import asyncpg  # type: ignore[import-untyped]

CHANNEL: Final = "outbox_inserted"
IDLE_POLL_S: Final = 0.01
# Polls start at least this far apart, however many commits NOTIFY meanwhile: a poll per
# commit cost the measured machine more than the bound gains (overstated by <= this).
MIN_GAP_S: Final = 0.005
# A row not visible to the previous poll committed after it started, and the relay stamps
# `sent_at` (same machine clock) after the commit, so sent rows since the previous poll's
# start are all a poll must read; the margin only absorbs clock granularity.
SENT_MARGIN: Final = timedelta(milliseconds=50)

# Both halves on an index (unsent rows; rows sent since the last poll): a poll reads only
# what changed since the previous one, so it costs the same whatever the outbox retains
# and however fast events flow (reading a fixed window of recent rows instead cost the
# measured machine several % of a core at a few hundred events/s).
_VISIBLE: Final = """
SELECT statement_timestamp() AS at, coalesce(array_agg(event_id), '{}') AS ids
FROM (
    SELECT event_id FROM outbox WHERE sent_at IS NULL AND user_id LIKE $1
    UNION ALL
    SELECT event_id FROM outbox WHERE sent_at >= $2 AND user_id LIKE $1
) AS visible
"""


class CommitClock:
    """`lower_bound(event_id)`: a time the row committed after (None if never seen)."""

    def __init__(self) -> None:
        self._lower_bounds: dict[UUID, datetime] = {}

    def lower_bound(self, event_id: UUID) -> datetime | None:
        return self._lower_bounds.get(event_id)

    def first_seen(self, event_ids: list[UUID], not_visible_at: datetime) -> None:
        for event_id in event_ids:
            self._lower_bounds.setdefault(event_id, not_visible_at)

    def __len__(self) -> int:
        return len(self._lower_bounds)

    def event_ids(self) -> list[UUID]:
        return list(self._lower_bounds)


async def _poll(
    conn: asyncpg.Connection, like: str, woken: asyncio.Event, clock: CommitClock
) -> None:
    # The watch starts here; rows still unsent from before it would get this as their
    # bound, so callers start it with no backlog of their own rows (consumer_lag does).
    previous: datetime = await conn.fetchval("SELECT statement_timestamp()")
    loop = asyncio.get_running_loop()
    polled_at = loop.time()
    while True:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(IDLE_POLL_S):
                await woken.wait()
        await asyncio.sleep(polled_at + MIN_GAP_S - loop.time())
        polled_at = loop.time()
        woken.clear()
        row = await conn.fetchrow(_VISIBLE, like, previous - SENT_MARGIN)
        clock.first_seen(row["ids"], previous)
        previous = row["at"]


@contextlib.asynccontextmanager
async def watch_commits(dsn: str, user_prefix: str) -> AsyncIterator[CommitClock]:
    """Watch the outbox rows of users starting with `user_prefix` while the block runs."""
    clock = CommitClock()
    conn = await asyncpg.connect(dsn)
    woken = asyncio.Event()
    try:
        await conn.add_listener(CHANNEL, lambda *_: woken.set())
        task = asyncio.create_task(_poll(conn, user_prefix + "%", woken, clock))
        try:
            yield clock
            await asyncio.sleep(IDLE_POLL_S * 3)  # a last poll for the latest commits
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
    finally:
        await conn.close()
