"""`dispute_events` partitioning: each row in its month's partition, a month without one
caught by the DEFAULT partition (and moved into its own once made), and a one-month query
reading one partition only.

Runs on the session's private database: it makes partitions for far-off months, which
the shared database should not keep.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any, Final

import pytest
import pytest_asyncio
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from wallet_infra.persistence.dispute_event_partitions import make_dispute_event_partitions
from wallet_infra.persistence.engine import make_engine

pytestmark = pytest.mark.integration

FAR_MONTH: Final = datetime(2091, 5, 17, 9, 30, tzinfo=UTC)


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def private_engine(private_database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(private_database_url, pool_size=2, statement_timeout_ms=30_000)
    yield engine
    await engine.dispose()


async def _dispute(conn: AsyncConnection) -> uuid.UUID:
    """A dispute on a fresh APPROVED payment, written directly."""
    user_id, payment_id, dispute_id = f"u-{uuid.uuid4().hex[:10]}", uuid.uuid4(), uuid.uuid4()
    await conn.execute(text("INSERT INTO wallets (user_id) VALUES (:u)"), {"u": user_id})
    await conn.execute(
        text(
            "INSERT INTO transactions (id, user_id, type, status, amount, currency, provider_id,"
            " external_reference, created_at, updated_at) SELECT :p, :u, 'PAYMENT',"
            " 'APPROVED', -100, 'USD', id, 'bill', now(), now() FROM service_providers LIMIT 1"
        ),
        {"p": payment_id, "u": user_id},
    )
    await conn.execute(
        text(
            "INSERT INTO disputes (id, payment_id, user_id, amount, currency, reason, status,"
            " created_at, updated_at) VALUES (:d, :p, :u, 100, 'USD', 'r', 'OPEN', now(), now())"
        ),
        {"d": dispute_id, "p": payment_id, "u": user_id},
    )
    return dispute_id


async def _event_at(conn: AsyncConnection, dispute_id: uuid.UUID, at: datetime) -> str:
    """Insert one event row at `at`; the partition it landed in."""
    row = (
        await conn.execute(
            text(
                "INSERT INTO dispute_events (id, dispute_id, user_id, from_status, to_status,"
                " created_at) SELECT gen_random_uuid(), id, user_id, 'OPEN', 'UNDER_REVIEW', :at"
                " FROM disputes WHERE id = :d RETURNING tableoid::regclass::text AS part"
            ),
            {"d": dispute_id, "at": at},
        )
    ).one()
    return str(row.part)


async def test_rows_land_in_their_months_partition(private_engine: AsyncEngine) -> None:
    now = datetime.now(UTC)
    async with private_engine.begin() as conn:
        dispute_id = await _dispute(conn)
        part = await conn.execute(
            text(
                "SELECT tableoid::regclass::text AS part FROM dispute_events WHERE dispute_id = :d"
            ),
            {"d": dispute_id},
        )
        assert [r.part for r in part] == [f"dispute_events_p{now:%Y_%m}"]
        nxt = datetime(now.year + now.month // 12, now.month % 12 + 1, 2, tzinfo=UTC)
        assert await _event_at(conn, dispute_id, nxt) == f"dispute_events_p{nxt:%Y_%m}"


async def test_a_month_without_a_partition_goes_to_default_then_moves_to_its_own(
    private_engine: AsyncEngine,
) -> None:
    async with private_engine.begin() as conn:
        dispute_id = await _dispute(conn)
        assert await _event_at(conn, dispute_id, FAR_MONTH) == "dispute_events_default"

    made = await make_dispute_event_partitions(private_engine, around=FAR_MONTH, ahead=1)
    assert made == ["dispute_events_p2091_05", "dispute_events_p2091_06"]
    assert await make_dispute_event_partitions(private_engine, around=FAR_MONTH, ahead=1) == []

    async with private_engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT tableoid::regclass::text AS part, created_at FROM dispute_events"
                " WHERE dispute_id = :d AND created_at = :at"
            ),
            {"d": dispute_id, "at": FAR_MONTH},
        )
        assert [r.part for r in rows] == ["dispute_events_p2091_05"]


async def test_a_past_months_strays_get_their_partition_from_the_next_regular_round(
    private_engine: AsyncEngine,
) -> None:
    """The job only looks ahead of now: a month it missed must still leave DEFAULT."""
    past = datetime(2001, 3, 15, tzinfo=UTC)
    async with private_engine.begin() as conn:
        dispute_id = await _dispute(conn)
        assert await _event_at(conn, dispute_id, past) == "dispute_events_default"

    made = await make_dispute_event_partitions(private_engine, around=datetime.now(UTC), ahead=1)

    assert "dispute_events_p2001_03" in made
    async with private_engine.connect() as conn:
        left = await conn.execute(text("SELECT count(*) FROM dispute_events_default"))
        assert left.scalar_one() == 0
        part = await conn.execute(
            text(
                "SELECT tableoid::regclass::text FROM dispute_events"
                " WHERE dispute_id = :d AND created_at = :at"
            ),
            {"d": dispute_id, "at": past},
        )
        assert part.scalar_one() == "dispute_events_p2001_03"


async def test_a_one_month_window_reads_one_partition(private_engine: AsyncEngine) -> None:
    now = datetime.now(UTC)
    start = datetime(now.year, now.month, 1, tzinfo=UTC)
    end = datetime(now.year + now.month // 12, now.month % 12 + 1, 1, tzinfo=UTC)
    async with private_engine.connect() as conn:
        plan = (
            await conn.execute(
                text(
                    "EXPLAIN (FORMAT JSON) SELECT * FROM dispute_events"
                    " WHERE created_at >= :start AND created_at < :end"
                ),
                {"start": start, "end": end},
            )
        ).scalar_one()
    assert _relations(plan[0]["Plan"]) == {f"dispute_events_p{now:%Y_%m}"}, plan


def _relations(node: dict[str, Any]) -> set[str]:
    """Every table a plan node (and its children) reads."""
    found = {node["Relation Name"]} if "Relation Name" in node else set()
    for child in node.get("Plans", []):
        found |= _relations(child)
    return found
