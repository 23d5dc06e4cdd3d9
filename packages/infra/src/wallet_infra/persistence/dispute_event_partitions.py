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
# Months whose rows wait in the DEFAULT partition (the job did not run then, or a row's
# time fell outside the months made ahead): each gets its partition too.
_STRAY_MONTHS: Final = text(
    "SELECT DISTINCT date_trunc('month', created_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'"
    " AS month FROM dispute_events_default ORDER BY month"
)


async def make_dispute_event_partitions(
    engine: AsyncEngine, *, around: datetime, ahead: int
) -> list[str]:
    """Partitions for the month of `around`, the `ahead` months after it and every month
    the DEFAULT partition holds rows of; returns the ones created now (the DEFAULT
    partition's rows are moved into their month's)."""
    async with engine.begin() as conn:
        made = [row.name for row in await conn.execute(_MAKE, {"around": around, "ahead": ahead})]
        for stray in (await conn.execute(_STRAY_MONTHS)).all():
            rows = await conn.execute(_MAKE, {"around": stray.month, "ahead": 0})
            made += [row.name for row in rows]
        return made
