"""The ledger page query is an index range scan, so a deep page costs what the first does.

Checked on real statistics (rows loaded, then ANALYZE) with the planner left alone, both
for the plan built for the actual values and for the generic plan a prepared statement
switches to after a few executions (asyncpg prepares every statement).

The rows go into a temporary copy of `transactions` (`LIKE ... INCLUDING ALL`: the
migrated columns and indexes, exactly) that shadows the real table on one connection
only. The shared database is neither churned nor able to skew the statistics, and
concurrent runs cannot disturb each other.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any, Final

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from wallet_domain.model.pagination import LedgerFilter, LedgerPosition
from wallet_domain.model.transaction import TransactionStatus, TransactionType
from wallet_infra.clock import SystemClock
from wallet_infra.ids import UuidV7Generator
from wallet_infra.persistence.ledger_queries import page_query
from wallet_infra.persistence.tables import TRANSACTIONS_USER_ID_CREATED_AT_ID_IDX

# The planner weighs the user index against walking the primary key backwards and
# filtering on user_id; it rightly picks the latter when one user owns a big share of the
# table. Real wallets own a tiny share, so the user under test owns every EVERY-th row
# (ids interleaved in time, as in life) among NEIGHBOURS other wallets. Enough rows that
# even the deepest page tested, filtered, has several pages left: near the very end a
# bitmap scan and a sort of fewer than LIMIT rows is the right plan (tested separately).
TOTAL_ROWS: Final = 200_000
NEIGHBOURS: Final = 1_000
EVERY: Final = 250
LIMIT: Final = 50
ROWS: Final = TOTAL_ROWS // EVERY
USER_ID: Final = "plan-user"
COLUMNS: Final = [
    *("id", "user_id", "type", "status", "amount", "currency"),
    *("created_at", "updated_at"),
]
clock: Final = SystemClock()
ids: Final = UuidV7Generator()


def plan_nodes(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield node
    for child in node.get("Plans", []):
        yield from plan_nodes(child)


def scanned_indexes(plan: dict[str, Any]) -> list[str]:
    nodes = list(plan_nodes(plan["Plan"]))
    assert "Seq Scan" not in [n["Node Type"] for n in nodes]
    return [n["Index Name"] for n in nodes if "Index Name" in n]


def assert_index_range_scan(plan: dict[str, Any], user_index: str) -> None:
    """Rows come in index order from the user index: nothing is sorted, the LIMIT stops it."""
    kinds = [n["Node Type"] for n in plan_nodes(plan["Plan"])]
    assert kinds == ["Limit", "Index Scan"], kinds
    assert scanned_indexes(plan) == [user_index]


class Ledger:
    """A connection whose `transactions` is the loaded temporary copy."""

    def __init__(
        self, conn: AsyncConnection, written: list[LedgerPosition], user_index: str
    ) -> None:
        self.conn = conn
        self.written = written  # the user's positions, oldest first
        self.user_index = user_index  # the copy of TRANSACTIONS_USER_ID_CREATED_AT_ID_IDX


@pytest.fixture(scope="module")
async def ledger(engine: AsyncEngine) -> AsyncIterator[Ledger]:
    start = clock.now()
    rows: list[tuple[Any, ...]] = []
    for i in range(TOTAL_ROWS):
        # Times advance with the ids, a few rows share one (as under concurrent writes).
        at = start + timedelta(microseconds=i // 4)
        user_id = USER_ID if i % EVERY == 0 else f"plan-n{i % NEIGHBOURS}"
        currency = "USD" if i % 3 else "EUR"
        rows.append((ids.new_id(), user_id, "DEPOSIT", "COMPLETED", 1, currency, at, at))
    async with shadow_table(engine, "transactions") as conn:
        raw = (await conn.get_raw_connection()).driver_connection
        assert raw is not None
        await raw.copy_records_to_table(
            "transactions", schema_name="pg_temp", records=rows, columns=COLUMNS
        )
        await conn.execute(text("ANALYZE pg_temp.transactions"))
        user_index = await copied_index(conn, TRANSACTIONS_USER_ID_CREATED_AT_ID_IDX)
        await conn.commit()
        written = [
            LedgerPosition(created_at=row[6], id=row[0]) for row in rows if row[1] == USER_ID
        ]
        yield Ledger(conn, written, user_index)


@asynccontextmanager
async def shadow_table(engine: AsyncEngine, table: str) -> AsyncIterator[AsyncConnection]:
    """A connection on which an empty temporary copy of `table` (`LIKE ... INCLUDING ALL`:
    its migrated columns and indexes) shadows the real one. The connection is never
    handed back to the pool: another user would meet the shadow."""
    conn = await engine.connect()
    try:
        await conn.execute(
            text(f"CREATE TEMPORARY TABLE {table} (LIKE public.{table} INCLUDING ALL)")
        )
        yield conn
    finally:
        await conn.invalidate()
        await conn.close()


async def copied_index(conn: AsyncConnection, original: str) -> str:
    """The temporary copy's name for the index `original` of the real table."""
    result = await conn.execute(
        text(
            "SELECT copy.indexname FROM pg_indexes AS real"
            " JOIN pg_indexes AS copy ON copy.tablename = real.tablename"
            " AND copy.schemaname LIKE 'pg_temp%'"
            " AND substring(copy.indexdef FROM ' USING .*$')"
            " = substring(real.indexdef FROM ' USING .*$')"
            " WHERE real.schemaname = 'public' AND real.indexname = :original"
        ),
        {"original": original},
    )
    name: str = result.scalar_one()
    return name


async def explain(conn: AsyncConnection, sql: str, params: list[Any]) -> tuple[Any, Any]:
    """(plan for these values, generic plan) of `sql` with $n placeholders."""
    raw = (await conn.get_raw_connection()).driver_connection
    assert raw is not None
    custom = await raw.fetchval(f"EXPLAIN (FORMAT JSON) {sql}", *params)
    await raw.execute(f"PREPARE ledger_page_probe AS {sql}")
    try:
        await raw.execute("SET plan_cache_mode = force_generic_plan")
        literals = ", ".join(f"'{p}'" for p in params)
        generic = await raw.fetchval(f"EXPLAIN (FORMAT JSON) EXECUTE ledger_page_probe({literals})")
    finally:
        await raw.execute("DEALLOCATE ledger_page_probe; RESET plan_cache_mode")
    return first_plan(custom), first_plan(generic)


def first_plan(explained: Any) -> Any:
    # The engine's connections decode json already; a bare asyncpg one would not.
    return (json.loads(explained) if isinstance(explained, str) else explained)[0]


FILTERS: Final = pytest.mark.parametrize(
    "filters",
    [
        LedgerFilter(),
        LedgerFilter(type=TransactionType.DEPOSIT),
        LedgerFilter(status=TransactionStatus.COMPLETED, currency="USD"),
    ],
    ids=["no-filter", "type", "status+currency"],
)


async def page_plans(
    ledger: Ledger, filters: LedgerFilter, before: LedgerPosition | None
) -> tuple[Any, Any]:
    statement, params = page_query(USER_ID, filters, before=before, limit=LIMIT)
    return await explain(ledger.conn, statement.sql, statement.args(params))


@pytest.mark.parametrize("depth", [None, 0.01, 0.5, 0.75], ids=lambda d: f"depth-{d}")
@FILTERS
async def test_a_page_at_any_depth_is_an_ordered_index_range_scan(
    ledger: Ledger, filters: LedgerFilter, depth: float | None
) -> None:
    before = None if depth is None else ledger.written[int(ROWS * (1 - depth))]

    custom, generic = await page_plans(ledger, filters, before)

    assert_index_range_scan(custom, ledger.user_index)
    assert_index_range_scan(generic, ledger.user_index)


@FILTERS
async def test_the_last_partial_page_stays_on_the_user_index(
    ledger: Ledger, filters: LedgerFilter
) -> None:
    """Fewer rows than LIMIT remain: fetching them all and sorting is fine, as long as only
    this user's remaining range is read (bounded by LIMIT, whatever the depth)."""
    custom, generic = await page_plans(ledger, filters, ledger.written[LIMIT // 2])

    assert scanned_indexes(custom) == [ledger.user_index]
    assert scanned_indexes(generic) == [ledger.user_index]
