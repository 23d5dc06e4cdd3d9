"""The relay's claim checks whether a row's retry is due inside outbox_unsent_due_idx
(migration 0036): a row waiting for its retry costs an index entry, never a heap fetch,
so a claim among many waiting rows (an idle poll included) reads a few index pages, for
the values at hand and for the generic plan asyncpg's prepared statement switches to.
On outbox_unsent_idx (event_id) alone, each waiting row was fetched from the heap and
filtered out: 60-110 ms a claim with 50,000 waiting among 1M.

Planned and run on real statistics in a temporary copy of `outbox` (`LIKE ... INCLUDING
ALL`: the migrated columns and indexes) that shadows the real table on one connection.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, Final

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from wallet_infra.persistence.outbox_relay_store import CLAIM
from wallet_infra.persistence.tables import OUTBOX_UNSENT_DUE_IDX

from .test_persistence_ledger_plan import (
    copied_index,
    explain,
    first_plan,
    plan_nodes,
    shadow_table,
)

ROWS: Final = 200_000
WAITING_EVERY: Final = 20  # 10,000 unsent rows waiting for a retry, spread among them
DUE: Final = 5  # the newest unsent rows: due now (never failed)
LIMIT: Final = 500


@pytest.fixture(scope="module")
async def outbox_copy(engine: AsyncEngine) -> AsyncIterator[tuple[AsyncConnection, str]]:
    async with shadow_table(engine, "outbox") as conn:
        # Ids in insertion order, like UUIDv7: the waiting rows are all older than the due.
        await conn.execute(
            text(
                "INSERT INTO pg_temp.outbox (event_id, event_type, aggregate_id, user_id,"
                " occurred_at, payload, sent_at, attempts, next_attempt_at)"
                " SELECT CAST(lpad(to_hex(i), 32, '0') AS uuid), 'payment.created',"
                " gen_random_uuid(), 'plan', now(), '{}',"
                " CASE WHEN i % :every = 0 OR i > :rows THEN NULL ELSE now() END,"
                " CASE WHEN i % :every = 0 AND i <= :rows THEN 3 ELSE 0 END,"
                " CASE WHEN i % :every = 0 AND i <= :rows"
                "  THEN now() + interval '1 hour' END"
                " FROM generate_series(1, CAST(:rows AS integer) + :due) AS i"
            ),
            {"rows": ROWS, "every": WAITING_EVERY, "due": DUE},
        )
        await conn.execute(text("ANALYZE pg_temp.outbox"))
        index = await copied_index(conn, OUTBOX_UNSENT_DUE_IDX)
        await conn.commit()
        yield conn, index


async def run_generic(conn: AsyncConnection) -> dict[str, Any]:
    """The claim's generic plan, run (EXPLAIN ANALYZE) in a transaction of its own."""
    raw = (await conn.get_raw_connection()).driver_connection
    assert raw is not None
    await raw.execute(f"PREPARE outbox_claim_probe AS {CLAIM.sql}")
    try:
        async with raw.transaction():  # its end releases the rows the claim locked
            await raw.execute("SET LOCAL plan_cache_mode = force_generic_plan")
            explained = await raw.fetchval(
                f"EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE outbox_claim_probe({LIMIT})"
            )
    finally:
        await raw.execute("DEALLOCATE outbox_claim_probe")
    plan: dict[str, Any] = first_plan(explained)["Plan"]
    return plan


async def test_the_claim_checks_the_due_time_in_the_index_for_either_plan(
    outbox_copy: tuple[AsyncConnection, str],
) -> None:
    conn, index = outbox_copy

    for plan in await explain(conn, CLAIM.sql, CLAIM.args({"limit": LIMIT})):
        nodes = list(plan_nodes(plan["Plan"]))
        kinds = {n["Node Type"] for n in nodes}
        assert not {"Seq Scan", "Bitmap Heap Scan", "Sort"} & kinds, kinds
        [scan] = [n for n in nodes if n.get("Index Name")]
        assert scan["Index Name"] == index
        assert "COALESCE(next_attempt_at" in scan.get("Index Cond", ""), scan


async def test_a_claim_among_many_waiting_rows_fetches_only_the_due_ones(
    outbox_copy: tuple[AsyncConnection, str],
) -> None:
    conn, index = outbox_copy

    plan = await run_generic(conn)

    [scan] = [n for n in plan_nodes(plan) if n.get("Index Name")]
    assert scan["Index Name"] == index
    assert plan["Actual Rows"] == DUE  # the waiting rows were read past
    # Each waiting row, filtered after its heap fetch, would be counted here.
    assert scan.get("Rows Removed by Filter", 0) == 0, scan
