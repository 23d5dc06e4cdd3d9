"""The request's session builds its ORM Session only once something uses it
(`DeferredAsyncSession`), and is an ordinary AsyncSession from then on."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from wallet_domain.money import Money
from wallet_infra.persistence.deferred_session import DeferredAsyncSession
from wallet_infra.persistence.engine import close_session
from wallet_infra.persistence.wallet_balances import SqlaWalletBalances

from .payment_kit import funded_wallet


def _deferred(factory: async_sessionmaker[AsyncSession]) -> DeferredAsyncSession:
    session = factory()
    assert isinstance(session, DeferredAsyncSession)
    return session


async def test_a_session_nothing_used_is_never_built(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    session = _deferred(session_factory)
    assert not session.in_transaction()
    await close_session(session)
    assert not session.started


async def test_a_statement_on_its_own_leaves_the_session_unbuilt(
    session_factory: async_sessionmaker[AsyncSession], user_id: str
) -> None:
    await funded_wallet(session_factory, user_id, Money(500, "USD"))
    request_session = _deferred(session_factory)
    read = await SqlaWalletBalances(session=request_session).read(user_id)
    assert [b.available for b in read.balances] == [500]
    assert not request_session.started  # the read ran on a pool connection of its own
    await close_session(request_session)
    assert not request_session.started


async def test_a_used_session_is_an_ordinary_one(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    session = _deferred(session_factory)
    assert (await session.execute(text("SELECT 41 + 1"))).scalar_one() == 42
    assert session.started
    assert session.in_transaction()
    assert session.sync_session is session._proxied
    await session.rollback()
    assert not session.in_transaction()
    await close_session(session)


async def test_a_session_begun_then_closed_rolls_back(
    session_factory: async_sessionmaker[AsyncSession], user_id: str
) -> None:
    session = _deferred(session_factory)
    await session.execute(text("INSERT INTO wallets (user_id) VALUES (:uid)"), {"uid": user_id})
    await close_session(session)  # nothing committed: rolled back
    check = _deferred(session_factory)
    found = await check.execute(
        text("SELECT count(*) FROM wallets WHERE user_id = :uid"), {"uid": user_id}
    )
    assert found.scalar_one() == 0
    await close_session(check)


def test_other_missing_attributes_are_still_missing(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    session = _deferred(session_factory)
    with pytest.raises(AttributeError):
        session.no_such_attribute  # noqa: B018
    assert not session.started
