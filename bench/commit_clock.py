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
from datetime import datetime
from typing import Final
from uuid import UUID

import asyncpg  # type: ignore[import-untyped]

CHANNEL: Final = "outbox_inserted"
IDLE_POLL_S: Final = 0.01
# Sent rows stay in view this long, so a row committed and relayed between two polls
# is still seen: far longer than a poll ever takes.
RECENTLY_SENT: Final = "2 seconds"

# Both halves on a partial index (unsent rows; recently sent rows): a poll costs what the
# bench's own rows cost, not a scan of every sent row the outbox retains.
_VISIBLE: Final = f"""
SELECT statement_timestamp() AS at, coalesce(array_agg(event_id), '{{}}') AS ids
FROM (
    SELECT event_id FROM outbox WHERE sent_at IS NULL AND user_id LIKE $1
    UNION ALL
    SELECT event_id FROM outbox
    WHERE sent_at > statement_timestamp() - interval '{RECENTLY_SENT}' AND user_id LIKE $1
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
    # Rows visible to the first poll were there before the watch: no bound for them.
    previous: datetime = (await conn.fetchrow(_VISIBLE, like))["at"]
    while True:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(IDLE_POLL_S):
                await woken.wait()
        woken.clear()
        row = await conn.fetchrow(_VISIBLE, like)
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
