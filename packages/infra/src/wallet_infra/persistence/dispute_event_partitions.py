"""Monthly partitions of `dispute_events`, made ahead by the API's maintenance job.

The partitions' shape is the migrations' (`dispute_events_make_partitions()`, created by
migration 0021): the app only asks for the coming months, so it never decides the schema.
The function is idempotent and serialises its callers on an advisory lock, so every API
instance may run the job.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

_MAKE: Final = text("SELECT dispute_events_make_partitions(:around, :ahead) AS name")


async def make_dispute_event_partitions(
    engine: AsyncEngine, *, around: datetime, ahead: int
) -> list[str]:
    """Partitions for the month of `around` and the `ahead` months after it; returns the
    ones created now (rows the DEFAULT partition held for those months are moved in)."""
    async with engine.begin() as conn:
        rows = await conn.execute(_MAKE, {"around": around, "ahead": ahead})
        return [row.name for row in rows]
