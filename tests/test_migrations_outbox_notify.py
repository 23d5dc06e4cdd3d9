"""The outbox trigger (migrations 0007, 0010) on real PostgreSQL: a statement that inserts
outbox rows NOTIFYs `outbox_inserted` once, on commit; one that inserts none (a guarded
CTE, an idempotent replay) notifies nobody, so it wakes no relay.

The database is the session's shared one, so only notifications sent by the test's own
writer connection count (other tests may insert outbox rows meanwhile), and the rows go
in already sent, so no relay or claim in another test ever picks them up.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Final
from uuid import uuid4

import asyncpg  # type: ignore[import-untyped]
import pytest
import pytest_asyncio
from wallet_testkit.polling import eventually

pytestmark = pytest.mark.integration

CHANNEL: Final = "outbox_inserted"
SENTINEL: Final = "test-sentinel"
TIMEOUT_S: Final = 10.0

_INSERT_COLUMNS: Final = (
    "INSERT INTO outbox (event_id, event_type, aggregate_id, user_id, occurred_at, payload,"
    " sent_at)"
)
_VALUES: Final = "$1::uuid, 'payment.created', $1::uuid, 'notify-test', now(), '{}', now()"
# Statements inserting no row, each with $1 = an event_id.
NO_ROW_INSERTS: Final = {
    "insert_select_matching_nothing": f"{_INSERT_COLUMNS} SELECT {_VALUES} WHERE false",
    "cte_guarded_by_an_empty_step": (
        "WITH claimed AS (SELECT 1 FROM outbox WHERE event_id = $1::uuid AND false)"
        f" {_INSERT_COLUMNS} SELECT {_VALUES} FROM claimed"
    ),
    "replay_of_an_existing_event": f"{_INSERT_COLUMNS} VALUES ({_VALUES}) ON CONFLICT DO NOTHING",
}
ONE_ROW_INSERT: Final = f"{_INSERT_COLUMNS} VALUES ({_VALUES})"


@pytest_asyncio.fixture
async def writer(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    """A connection that inserts (autocommit: each statement commits, and notifies, alone);
    its rows are deleted afterwards."""
    connection = await asyncpg.connect(database_url)
    try:
        yield connection
    finally:
        await connection.execute("DELETE FROM outbox WHERE user_id = 'notify-test'")
        await connection.close()


@asynccontextmanager
async def notifications_from(database_url: str, sender_pid: int) -> AsyncIterator[list[str]]:
    """The payloads `CHANNEL` delivers from the backend `sender_pid`, in arrival order."""
    received: list[str] = []

    def on_notify(_: object, pid: int, channel: str, payload: str) -> None:
        if pid == sender_pid:
            received.append(payload)

    listener = await asyncpg.connect(database_url)
    try:
        await listener.add_listener(CHANNEL, on_notify)
        yield received
    finally:
        await listener.close()


async def _arrived(received: list[str], count: int) -> None:
    async def enough() -> bool:
        return len(received) >= count

    await eventually(enough, timeout_s=TIMEOUT_S)


@pytest.mark.parametrize("statement", list(NO_ROW_INSERTS.values()), ids=list(NO_ROW_INSERTS))
async def test_a_statement_inserting_no_outbox_row_notifies_nobody(
    database_url: str, writer: asyncpg.Connection, statement: str
) -> None:
    existing = uuid4()
    await writer.execute(ONE_ROW_INSERT, existing)  # committed before anyone listens
    async with notifications_from(database_url, writer.get_server_pid()) as received:
        assert await writer.execute(statement, existing) == "INSERT 0 0"
        # One session's notifications arrive in the order they committed: had the insert
        # notified, that notification would arrive before the sentinel.
        await writer.execute("SELECT pg_notify($1, $2)", CHANNEL, SENTINEL)

        await _arrived(received, 1)

    assert received == [SENTINEL]


async def test_a_statement_inserting_a_row_notifies_once(
    database_url: str, writer: asyncpg.Connection
) -> None:
    async with notifications_from(database_url, writer.get_server_pid()) as received:
        assert await writer.execute(ONE_ROW_INSERT, uuid4()) == "INSERT 0 1"
        await writer.execute("SELECT pg_notify($1, $2)", CHANNEL, SENTINEL)

        await _arrived(received, 2)

    assert received == ["", SENTINEL]
