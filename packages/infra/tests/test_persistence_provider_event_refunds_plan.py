"""A re-debit's question "was a refund of this payment stored?" reads a few entries of
provider_events_refunds_idx (migration 0034), however many events the provider sent: never
the whole table, for the values at hand and for the generic plan asyncpg's prepared
statement switches to.

Planned on real statistics in a temporary copy of `provider_events` (`LIKE ... INCLUDING
ALL`: the migrated columns and indexes) that shadows the real table on one connection.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Final
from uuid import uuid4

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from wallet_infra.persistence.provider_event_log import REFUND_RECORDED

from .test_persistence_ledger_plan import copied_index, explain, plan_nodes, shadow_table

ROWS: Final = 100_000  # a year of a busy provider's webhooks, a tenth of them refunds


@pytest.fixture(scope="module")
async def events_copy(engine: AsyncEngine) -> AsyncIterator[tuple[AsyncConnection, str]]:
    async with shadow_table(engine, "provider_events") as conn:
        await conn.execute(
            text(
                "INSERT INTO pg_temp.provider_events"
                " (provider_event_id, type, subject_id, outcome, created_at)"
                " SELECT 'evt_' || i, CASE WHEN i % 10 = 0 THEN 'payment.refunded'"
                " ELSE 'payment.settled' END, gen_random_uuid(), 'applied', now()"
                " FROM generate_series(1, CAST(:rows AS integer)) AS i"
            ),
            {"rows": ROWS},
        )
        await conn.execute(text("ANALYZE pg_temp.provider_events"))
        index = await copied_index(conn, "provider_events_refunds_idx")
        await conn.commit()
        yield conn, index


async def test_the_refund_lookup_reads_only_the_refunds_index(
    events_copy: tuple[AsyncConnection, str],
) -> None:
    conn, index = events_copy
    params = REFUND_RECORDED.args({"payment_id": uuid4()})

    for plan in await explain(conn, REFUND_RECORDED.sql, params):
        nodes = list(plan_nodes(plan["Plan"]))
        kinds = {n["Node Type"] for n in nodes}
        assert not {"Seq Scan", "Bitmap Heap Scan"} & kinds, kinds
        assert index in [n.get("Index Name") for n in nodes], nodes
