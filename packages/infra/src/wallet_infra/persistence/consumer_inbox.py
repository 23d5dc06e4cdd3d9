"""`ConsumerInbox` on PostgreSQL: one `consumer_inbox` row per (consumer, event_id),
concurrent records batched into one `INSERT ... SELECT FROM unnest(...) ON CONFLICT DO
NOTHING RETURNING event_id`.

An event_id back means this statement is the first to record the event. Two instances
recording the same event at once serialize on the primary key: the second waits for the
first to commit (then sees the conflict) or roll back (then inserts), so exactly one of
them acts. A batch goes in event_id order, so overlapping batches cannot deadlock.

Old records are deleted by `forget_before`, one statement per batch, oldest first through
the (consumer, processed_at) index. Every instance purges: the rows are claimed `FOR
UPDATE SKIP LOCKED`, so two purges take disjoint batches instead of waiting on (or
deadlocking over) each other's row locks. Recording waits on a purge only when it
re-records an event whose expired record that very batch is deleting (then, once the
batch commits, it records it anew); `ON CONFLICT DO NOTHING` takes no lock of its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncEngine
from wallet_domain.ports.consumer_inbox import ConsumerInbox

from wallet_infra.persistence.driver import fetch_pooled
from wallet_infra.persistence.micro_batch import (
    MAX_SIZE,
    MAX_WAIT_S,
    MicroBatcher,
    first_copies,
)
from wallet_infra.persistence.statements.consumer_inbox import FORGET, RECORD

Record = tuple[str, UUID]


class AsyncpgConsumerInbox(ConsumerInbox):
    """Records committed at once, batched across concurrent deliveries (see
    `MicroBatcher`); one per process, closed (`aclose`) before the engine."""

    def __init__(
        self, *, engine: AsyncEngine, max_size: int = MAX_SIZE, max_wait_s: float = MAX_WAIT_S
    ) -> None:
        self._engine = engine
        self._batcher: MicroBatcher[Record, bool] = MicroBatcher(
            write=self._record_all, max_size=max_size, max_wait_s=max_wait_s
        )

    async def first_time(self, consumer: str, event_id: UUID) -> bool:
        return await self._batcher.submit((consumer, event_id))

    async def forget_before(self, consumer: str, cutoff: datetime, limit: int) -> int:
        params = {"consumer": consumer, "cutoff": cutoff, "limit": limit}
        rows = await fetch_pooled(self._engine, "consumer_inbox.forget", FORGET, params)
        deleted: int = rows[0][0]
        return deleted

    async def aclose(self) -> None:
        await self._batcher.aclose()

    async def _record_all(self, records: Sequence[Record]) -> list[bool]:
        """True for each pair this statement recorded; False for one recorded before,
        and for a second copy of a pair within the batch."""
        unique = sorted(set(records))
        columns = {
            "consumer": [consumer for consumer, _ in unique],
            "event_id": [event_id for _, event_id in unique],
        }
        rows = await fetch_pooled(
            self._engine, "consumer_inbox.record", RECORD, columns, rows_sent=len(unique)
        )
        recorded = {(row[0], UUID(int=row[1].int)) for row in rows}
        return first_copies(records, recorded)
