"""The retention step docs/operations.md gives for `dispute_events` works on our schema.

"Dispute events: monthly partitions and retention" retires a month with the SQL block
run here, as written (its month swapped for one of this test's own). It once said
`DETACH PARTITION ... CONCURRENTLY`, which PostgreSQL refuses while the table has a
DEFAULT partition, and migration 0021 always makes `dispute_events_default`: the step
failed on every database. Runs on the session's private database, on a far-off month.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

import asyncpg
import pytest
from wallet_testkit.db import plain_url

pytestmark = pytest.mark.integration

OPERATIONS_DOC: Final = Path(__file__).resolve().parents[3] / "docs" / "operations.md"
DOCUMENTED_MONTH: Final = "dispute_events_p2026_01"
FAR: Final = datetime(2093, 3, 1, tzinfo=UTC)
FAR_MONTH: Final = "dispute_events_p2093_03"


def _documented_statements() -> list[str]:
    """The statements of the doc's SQL block that detaches a month, comments dropped."""
    blocks = re.findall(r"```sql\n(.*?)```", OPERATIONS_DOC.read_text(), flags=re.DOTALL)
    [block] = [b for b in blocks if "DETACH PARTITION" in b and DOCUMENTED_MONTH in b]
    code = "\n".join(line.split("--")[0] for line in block.splitlines())
    return [s.strip() for s in code.split(";") if s.strip()]


async def test_the_documented_retention_step_detaches_and_drops_an_old_month(
    private_database_url: str,
) -> None:
    statements = [s.replace(DOCUMENTED_MONTH, FAR_MONTH) for s in _documented_statements()]
    assert any(s.startswith("ALTER TABLE dispute_events DETACH PARTITION") for s in statements)
    conn = await asyncpg.connect(plain_url(private_database_url))
    try:
        await conn.execute("SELECT dispute_events_make_partitions($1::timestamptz, 1)", FAR)
        assert await conn.fetchval("SELECT to_regclass($1) IS NOT NULL", FAR_MONTH)

        for statement in statements:  # one by one, outside a transaction block, as psql would
            await conn.execute(statement)

        assert not await conn.fetchval("SELECT to_regclass($1) IS NOT NULL", FAR_MONTH)
        # The table still takes rows: the DEFAULT partition and the other months remain.
        assert await conn.fetchval("SELECT to_regclass('dispute_events_default') IS NOT NULL")
    finally:
        await conn.close()
