"""`driver.fetchrow`/`fetch` on a session: inside the session's transaction they join it
(commit and roll back with it), outside one they run on their own on a pool connection."""

from __future__ import annotations

from typing import Final

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from wallet_infra.persistence.driver import DriverStatement, fetch, fetchrow
from wallet_testkit.db import fetch as fetch_rows

pytestmark = pytest.mark.integration

_ADD: Final = DriverStatement(text("INSERT INTO wallets (user_id) VALUES (:uid) RETURNING user_id"))
_GET: Final = DriverStatement(text("SELECT user_id FROM wallets WHERE user_id = :uid"))


async def _stored(database_url: str, user_id: str) -> bool:
    rows = await fetch_rows(database_url, "SELECT 1 FROM wallets WHERE user_id = $1", user_id)
    return bool(rows)


async def test_a_statement_first_in_a_begun_transaction_rolls_back_with_it(
    session_factory: async_sessionmaker[AsyncSession], database_url: str, user_id: str
) -> None:
    """SQLAlchemy's adapter sends BEGIN lazily, with its own first statement: a driver
    statement first in the session's transaction must still be inside it."""
    async with session_factory() as session:
        await session.connection()  # the session's transaction has begun, BEGIN not sent
        await fetchrow(session, "test.add", _ADD, {"uid": user_id})
        await session.rollback()
    assert not await _stored(database_url, user_id)


async def test_a_statement_in_a_transaction_commits_with_it(
    session_factory: async_sessionmaker[AsyncSession], database_url: str, user_id: str
) -> None:
    async with session_factory() as session:
        await session.execute(text("SELECT 1"))
        await fetchrow(session, "test.add", _ADD, {"uid": user_id})
        assert [
            row["user_id"] for row in await fetch(session, "test.get", _GET, {"uid": user_id})
        ] == [user_id]
        assert not await _stored(database_url, user_id)  # not committed yet
        await session.commit()
    assert await _stored(database_url, user_id)


async def test_a_statement_outside_a_transaction_commits_on_its_own(
    session_factory: async_sessionmaker[AsyncSession], database_url: str, user_id: str
) -> None:
    async with session_factory() as session:
        await fetchrow(session, "test.add", _ADD, {"uid": user_id})
        assert not session.in_transaction()
        await session.rollback()
    assert await _stored(database_url, user_id)
