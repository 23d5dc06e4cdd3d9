"""`ConsumerInbox` on PostgreSQL: one `consumer_inbox` row per (consumer, event_id),
concurrent records batched into one `INSERT ... SELECT FROM unnest(...) ON CONFLICT DO
NOTHING RETURNING event_id`.

An event_id back means this statement is the first to record the event. Two instances
recording the same event at once serialize on the primary key: the second waits for the
first to commit (then sees the conflict) or roll back (then inserts), so exactly one of
them acts. A batch goes in event_id order, so overlapping batches cannot deadlock.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncEngine
from wallet_domain.ports.consumer_inbox import ConsumerInbox

from wallet_infra.persistence.driver_statement import PositionalStatement
from wallet_infra.persistence.micro_batch import (
    MAX_SIZE,
    MAX_WAIT_S,
    MicroBatcher,
    first_copies,
)
from wallet_infra.persistence.pool_statement import fetch_on_pool
from wallet_infra.persistence.tables import CONSUMER_INBOX_PKEY, consumer_inbox
from wallet_infra.persistence.unnest import unnest_rows

_COLUMNS: Final = ("consumer", "event_id")
# One statement (its own transaction) for a whole batch of consumed events.
_RECORD: Final = PositionalStatement(
    f"INSERT INTO consumer_inbox ({', '.join(_COLUMNS)})"  # noqa: S608 - constants only
    f" SELECT {', '.join(_COLUMNS)} FROM {unnest_rows(consumer_inbox, _COLUMNS, 'r')}"
    f" ON CONFLICT ON CONSTRAINT {CONSUMER_INBOX_PKEY} DO NOTHING"
    " RETURNING consumer, event_id"
)

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
        rows = await fetch_on_pool(
            self._engine,
            "consumer_inbox.record",
            _RECORD,
            _RECORD.args(columns),
            rows_sent=len(unique),
        )
        recorded = {(row[0], UUID(int=row[1].int)) for row in rows}
        return first_copies(records, recorded)
