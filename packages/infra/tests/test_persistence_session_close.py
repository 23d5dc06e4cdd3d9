"""`close_session`, the request session's teardown: a session that began a transaction is
rolled back and gives its connection back; one that never began one closes in place."""

from __future__ import annotations

from typing import Final

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from wallet_infra.persistence.driver import DriverStatement, fetchrow
from wallet_infra.persistence.engine import close_session
from wallet_testkit.db import fetch as fetch_rows

pytestmark = pytest.mark.integration

_ADD: Final = DriverStatement(text("INSERT INTO wallets (user_id) VALUES (:uid) RETURNING user_id"))


async def test_a_session_in_a_transaction_is_rolled_back_and_gives_its_connection_back(
    engine: AsyncEngine,
    session_factory: async_sessionmaker[AsyncSession],
    database_url: str,
    user_id: str,
) -> None:
    checked_out = engine.pool.checkedout()  # type: ignore[attr-defined]
    session = session_factory()
    await session.connection()
    await fetchrow(session, "test.add", _ADD, {"uid": user_id})
    assert engine.pool.checkedout() == checked_out + 1  # type: ignore[attr-defined]

    await close_session(session)

    assert engine.pool.checkedout() == checked_out  # type: ignore[attr-defined]
    assert not await fetch_rows(database_url, "SELECT 1 FROM wallets WHERE user_id = $1", user_id)


async def test_a_session_that_began_nothing_closes_without_waiting(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    closing = close_session(session_factory())
    with pytest.raises(StopIteration):  # done at the first step: no task, no greenlet
        closing.send(None)
