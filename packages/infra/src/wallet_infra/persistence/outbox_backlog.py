"""How far behind the relay is: unsent outbox rows and the age of the oldest one.

Both read only the partial index `outbox_unsent_due_idx` (rows with `sent_at IS NULL`,
event id first): an index-only count and the first index entry (event ids are UUIDv7,
so the smallest unsent id is the oldest unsent event). Cheap enough to refresh every
few seconds even with a large backlog.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

_BACKLOG: Final = text(
    "SELECT (SELECT count(*) FROM outbox WHERE sent_at IS NULL) AS unsent,"
    " (SELECT occurred_at FROM outbox WHERE sent_at IS NULL"
    "  ORDER BY event_id LIMIT 1) AS oldest"
)


@dataclass(frozen=True, slots=True)
class OutboxBacklog:
    unsent: int
    oldest_age_s: float  # 0 when nothing waits


async def read_outbox_backlog(engine: AsyncEngine) -> OutboxBacklog:
    async with engine.connect() as connection:
        row = (await connection.execute(_BACKLOG)).one()
    oldest: datetime | None = row.oldest
    age = 0.0 if oldest is None else max(0.0, (datetime.now(UTC) - oldest).total_seconds())
    return OutboxBacklog(unsent=int(row.unsent), oldest_age_s=age)
