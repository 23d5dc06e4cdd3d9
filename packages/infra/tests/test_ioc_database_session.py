"""The REQUEST-scoped session's teardown: a transaction left open is rolled back and its
connection returned, whether the scope ends normally, with an error or cancelled."""

from __future__ import annotations

import asyncio
import uuid
from contextlib import nullcontext

import pytest
from dishka import Provider, Scope, make_async_container, provide
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from wallet_infra.config.settings import Settings
from wallet_infra.ioc.database import DatabaseProvider


class _Settings(Provider):
    def __init__(self, dsn: str) -> None:
        super().__init__(scope=Scope.APP)
        self._dsn = dsn

    @provide
    def settings(self) -> Settings:
        return Settings.model_validate({"database_url": self._dsn})


def _checked_out(engine: AsyncEngine) -> int:
    return engine.pool.checkedout()  # type: ignore[attr-defined, no-any-return]


async def _marker_exists(engine: AsyncEngine, name: str) -> bool:
    async with engine.connect() as connection:
        found = await connection.execute(
            text("SELECT 1 FROM wallets WHERE user_id = :u"), {"u": name}
        )
        return found.first() is not None


async def _write_uncommitted(session: AsyncSession, name: str) -> None:
    await session.execute(text("INSERT INTO wallets (user_id) VALUES (:u)"), {"u": name})


@pytest.mark.parametrize("ending", ["normal", "error", "cancelled"])
async def test_an_open_transaction_is_rolled_back_and_its_connection_returned(
    database_url: str, ending: str
) -> None:
    container = make_async_container(DatabaseProvider(), _Settings(database_url))
    engine = await container.get(AsyncEngine)
    name = f"u-{uuid.uuid4().hex[:12]}"
    wrote = asyncio.Event()

    async def request() -> None:
        async with container() as scope:
            session = await scope.get(AsyncSession)
            await _write_uncommitted(session, name)
            assert _checked_out(engine) == 1
            wrote.set()
            if ending == "error":
                raise RuntimeError("the use case failed")
            if ending == "cancelled":
                await asyncio.Event().wait()

    task = asyncio.create_task(request())
    await wrote.wait()
    if ending == "cancelled":
        task.cancel()
    failure = (RuntimeError, asyncio.CancelledError)
    with nullcontext() if ending == "normal" else pytest.raises(failure):
        await task
    assert _checked_out(engine) == 0
    assert not await _marker_exists(engine, name)
    await container.close()


async def test_a_session_never_used_holds_nothing(database_url: str) -> None:
    container = make_async_container(DatabaseProvider(), _Settings(database_url))
    engine = await container.get(AsyncEngine)
    async with container() as scope:
        session = await scope.get(AsyncSession)
        assert not session.in_transaction()
    assert _checked_out(engine) == 0
    await container.close()
