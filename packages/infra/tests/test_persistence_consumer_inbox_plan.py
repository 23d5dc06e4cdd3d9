"""The inbox purge's batch is an index range scan that the LIMIT stops, then a TID scan,
however big the inbox: the cost of a batch does not grow with the table (without the
(consumer, processed_at) index it is a scan and sort of every record; joined back on the
primary key, the generic plan hash-joins a scan of every record).

Planned on real statistics in a temporary copy of `consumer_inbox` (`LIKE ... INCLUDING
ALL`: the migrated columns and indexes) that shadows the real table on one connection,
for the values at hand and for the generic plan asyncpg's prepared statement switches to.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any, Final

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from wallet_infra.clock import SystemClock
from wallet_infra.persistence.statements.consumer_inbox import FORGET
from wallet_infra.persistence.tables import CONSUMER_INBOX_PROCESSED_AT_IDX

from .test_persistence_ledger_plan import copied_index, explain, plan_nodes, shadow_table

ROWS: Final = 200_000  # 30 days of a busy consumer, one record every ~13 s
OTHER_ROWS: Final = 20_000
BATCH: Final = 1_000
clock: Final = SystemClock()


@pytest.fixture(scope="module")
async def inbox_copy(engine: AsyncEngine) -> AsyncIterator[tuple[AsyncConnection, str]]:
    async with shadow_table(engine, "consumer_inbox") as conn:
        await conn.execute(
            text(
                "INSERT INTO pg_temp.consumer_inbox (consumer, event_id, processed_at)"
                " SELECT CASE WHEN i <= n THEN 'metrics' ELSE 'other' END,"
                " gen_random_uuid(), now() - (i % n) * interval '13 seconds'"
                " FROM CAST(:rows AS integer) AS n,"
                " generate_series(1, n + CAST(:other AS integer)) AS i"
            ),
            {"rows": ROWS, "other": OTHER_ROWS},
        )
        await conn.execute(text("ANALYZE pg_temp.consumer_inbox"))
        index = await copied_index(conn, CONSUMER_INBOX_PROCESSED_AT_IDX)
        await conn.commit()
        yield conn, index


def _nodes(plan: dict[str, Any]) -> list[dict[str, Any]]:
    return list(plan_nodes(plan))


@pytest.mark.parametrize("retention", [timedelta(days=7), timedelta(days=1), timedelta(days=29)])
async def test_a_purge_batch_is_a_limited_index_range_scan_then_a_tid_scan(
    inbox_copy: tuple[AsyncConnection, str], retention: timedelta
) -> None:
    conn, index = inbox_copy
    params = FORGET.args({"consumer": "metrics", "cutoff": clock.now() - retention, "limit": BATCH})

    for plan in await explain(conn, FORGET.sql, params):
        nodes = _nodes(plan["Plan"])
        kinds = [n["Node Type"] for n in nodes]
        assert not {"Seq Scan", "Sort", "Hash Join", "Bitmap Heap Scan"} & set(kinds), kinds
        [doomed] = [n for n in nodes if n.get("Subplan Name") == "CTE doomed"]
        assert [n["Node Type"] for n in _nodes(doomed)] == ["Limit", "LockRows", "Index Scan"]
        assert _nodes(doomed)[-1]["Index Name"] == index
        [delete] = [n for n in nodes if n["Node Type"] == "ModifyTable"]
        assert "Tid Scan" in [n["Node Type"] for n in _nodes(delete)]
