"""A page of a wallet's holds or disputes is a range scan of the table's (user_id,
created_at DESC, id DESC) index, read in order until the LIMIT, as the history's page is
(test_persistence_ledger_plan): a deep page costs what the first does.

Planned on real statistics in a temporary copy of each table (`LIKE ... INCLUDING ALL`:
the migrated columns and indexes) that shadows the real one on one connection, for the
values at hand and for the generic plan asyncpg's prepared statement switches to. The
statement is the one the book's `page` sends.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Final

import pytest
from sqlalchemy import Table, event, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession
from wallet_domain.model.dispute import DisputeStatus
from wallet_domain.model.hold import HoldStatus
from wallet_domain.model.pagination import LedgerPosition
from wallet_infra.clock import SystemClock
from wallet_infra.ids import UuidV7Generator
from wallet_infra.persistence.dispute_book import SqlaDisputeBook
from wallet_infra.persistence.hold_book import SqlaHoldBook
from wallet_infra.persistence.tables import (
    DISPUTES_USER_ID_CREATED_AT_ID_IDX,
    HOLDS_USER_ID_CREATED_AT_ID_IDX,
    HOLDS_USER_ID_STATUS_CREATED_AT_ID_IDX,
    disputes,
    holds,
)

from .test_persistence_ledger_plan import (
    assert_index_range_scan,
    copied_index,
    explain,
    scanned_indexes,
    shadow_table,
)

# As in the ledger's plan test: the user under test owns every EVERY-th row among
# NEIGHBOURS other wallets (a real wallet owns a tiny share of the table), ids made in
# time order, a few rows sharing one timestamp; enough rows that the deepest page tested,
# filtered, still has pages left.
TOTAL_ROWS: Final = 200_000
NEIGHBOURS: Final = 1_000
EVERY: Final = 250
LIMIT: Final = 50
ROWS: Final = TOTAL_ROWS // EVERY
USER_ID: Final = "plan-user"
clock: Final = SystemClock()
ids: Final = UuidV7Generator()


def _hold(user_id: str, status: str, at: datetime) -> tuple[Any, ...]:
    return (ids.new_id(), user_id, "USD", 1, status, at + timedelta(days=7), at, at)


def _dispute(user_id: str, status: str, at: datetime) -> tuple[Any, ...]:
    return (ids.new_id(), uuid.uuid4(), user_id, 1, "USD", "r", status, at, at)


@dataclass(frozen=True, slots=True)
class Listed:
    table: Table
    index: str  # the real table's page index
    filtered_index: str  # the one a page of one status reads
    columns: list[str]
    row: Callable[[str, str, datetime], tuple[Any, ...]]
    statuses: type[StrEnum]
    kept: tuple[str, str]  # the statuses the rows alternate between
    book: Callable[[AsyncSession], SqlaHoldBook | SqlaDisputeBook]


LISTED: Final = {
    "holds": Listed(
        holds,
        HOLDS_USER_ID_CREATED_AT_ID_IDX,
        HOLDS_USER_ID_STATUS_CREATED_AT_ID_IDX,
        ["id", "user_id", "currency", "amount", "status", "expires_at", "created_at", "updated_at"],
        _hold,
        HoldStatus,
        # PENDING: a wallet's open holds, the filter used most, and the one the partial
        # holds_pending_expiry_idx (every open hold) tempts the planner away from order.
        ("PENDING", "REVERTED"),
        lambda session: SqlaHoldBook(session=session),
    ),
    "disputes": Listed(
        disputes,
        DISPUTES_USER_ID_CREATED_AT_ID_IDX,
        DISPUTES_USER_ID_CREATED_AT_ID_IDX,
        [
            *("id", "payment_id", "user_id", "amount", "currency", "reason", "status"),
            *("created_at", "updated_at"),
        ],
        _dispute,
        DisputeStatus,
        ("LOST", "CANCELED"),
        lambda session: SqlaDisputeBook(session=session),
    ),
}


@dataclass(frozen=True, slots=True)
class Copy:
    listed: Listed
    conn: AsyncConnection  # its table is the loaded temporary copy
    written: list[LedgerPosition]  # the user's positions, oldest first
    index: str  # the copy of `listed.index`
    filtered_index: str  # the copy of `listed.filtered_index`


@pytest.fixture(scope="module", params=list(LISTED))
async def copy(request: pytest.FixtureRequest, engine: AsyncEngine) -> AsyncIterator[Copy]:
    listed = LISTED[request.param]
    name = listed.table.name
    start = clock.now()
    rows = []
    for i in range(TOTAL_ROWS):
        at = start + timedelta(microseconds=i // 4)
        user_id = USER_ID if i % EVERY == 0 else f"plan-n{i % NEIGHBOURS}"
        rows.append(listed.row(user_id, listed.kept[(i // EVERY) % 2], at))
    async with shadow_table(engine, name) as conn:
        raw = (await conn.get_raw_connection()).driver_connection
        assert raw is not None
        await raw.copy_records_to_table(
            name, schema_name="pg_temp", records=rows, columns=listed.columns
        )
        await conn.execute(text(f"ANALYZE pg_temp.{name}"))
        index = await copied_index(conn, listed.index)
        filtered_index = await copied_index(conn, listed.filtered_index)
        await conn.commit()
        at, user, key = (listed.columns.index(c) for c in ("created_at", "user_id", "id"))
        written = [LedgerPosition(created_at=r[at], id=r[key]) for r in rows if r[user] == USER_ID]
        yield Copy(listed, conn, written, index, filtered_index)


async def _plans(copy: Copy, status: str | None, before: LedgerPosition | None) -> Any:
    """The plans of the statement the book's `page` sends (caught on its way out)."""
    listed = copy.listed
    wanted = None if status is None else listed.statuses(status)
    sent: list[tuple[str, list[Any]]] = []

    def record(*args: Any) -> None:
        _conn, _cursor, statement, parameters, *_ = args
        sent.append((statement, list(parameters)))

    connection = copy.conn.sync_connection
    assert connection is not None
    event.listen(connection, "before_cursor_execute", record)
    try:
        async with AsyncSession(bind=copy.conn) as session:
            await listed.book(session).page(USER_ID, wanted, before=before, limit=LIMIT)
    finally:
        event.remove(connection, "before_cursor_execute", record)
    [(sql, params)] = sent
    return await explain(copy.conn, sql, params)


@pytest.mark.parametrize("depth", [None, 0.01, 0.5, 0.75], ids=lambda d: f"depth-{d}")
@pytest.mark.parametrize("filtered", [False, True], ids=["all", "status"])
async def test_a_page_at_any_depth_is_an_ordered_index_range_scan(
    copy: Copy, depth: float | None, filtered: bool
) -> None:
    before = None if depth is None else copy.written[int(ROWS * (1 - depth))]
    status = copy.listed.kept[0] if filtered else None

    custom, generic = await _plans(copy, status, before)

    index = copy.filtered_index if filtered else copy.index
    assert_index_range_scan(custom, index)
    assert_index_range_scan(generic, index)


async def test_the_last_partial_page_stays_on_the_user_index(copy: Copy) -> None:
    """Fewer rows than LIMIT remain: reading them all and sorting is fine, as long as only
    this user's remaining range is read."""
    custom, generic = await _plans(copy, None, copy.written[LIMIT // 2])

    assert scanned_indexes(custom) == [copy.index]
    assert scanned_indexes(generic) == [copy.index]
