"""SqlaWallets and SqlaTransactionManager against PostgreSQL."""

from __future__ import annotations

import asyncio
from typing import Final

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from wallet_domain.errors import ValidationError, WalletAlreadyExists
from wallet_domain.model.wallet import Wallet
from wallet_infra.clock import SystemClock
from wallet_infra.persistence.transaction_manager import SqlaTransactionManager
from wallet_infra.persistence.wallets import SqlaWallets

clock: Final = SystemClock()


async def test_an_added_wallet_reads_back(session: AsyncSession, user_id: str) -> None:
    wallets = SqlaWallets(session=session)
    wallet = Wallet(user_id=user_id, created_at=clock.now())

    await wallets.add(wallet)

    assert await wallets.get(user_id) == wallet
    assert await wallets.get(f"{user_id}-nope") is None


async def test_adding_twice_is_wallet_already_exists_and_the_transaction_lives_on(
    session: AsyncSession, user_id: str
) -> None:
    wallets = SqlaWallets(session=session)
    await wallets.add(Wallet(user_id=user_id, created_at=clock.now()))

    with pytest.raises(WalletAlreadyExists) as raised:
        await wallets.add(Wallet(user_id=user_id, created_at=clock.now()))

    assert raised.value.details == {"user_id": user_id}
    assert await wallets.get(user_id) is not None  # not an aborted transaction


async def test_a_user_id_the_schema_rejects_is_a_validation_error(session: AsyncSession) -> None:
    with pytest.raises(ValidationError) as raised:
        await SqlaWallets(session=session).add(Wallet(user_id="bad id!", created_at=clock.now()))

    assert raised.value.details == {"field": "user_id"}


async def test_concurrent_adds_of_one_user_create_one_wallet(
    session_factory: async_sessionmaker[AsyncSession], user_id: str
) -> None:
    async def add() -> bool:
        async with session_factory() as session:
            try:
                await SqlaWallets(session=session).add(
                    Wallet(user_id=user_id, created_at=clock.now())
                )
            except WalletAlreadyExists:
                return False
            await asyncio.sleep(0.01)
            await SqlaTransactionManager(session=session).commit()
            return True

    assert sorted(await asyncio.gather(*(add() for _ in range(8)))) == [False] * 7 + [True]


async def test_commit_publishes_and_rollback_discards(
    session_factory: async_sessionmaker[AsyncSession], user_id: str
) -> None:
    kept, dropped = Wallet(user_id=user_id, created_at=clock.now()), f"{user_id}-x"
    async with session_factory() as session:
        transaction = SqlaTransactionManager(session=session)
        await SqlaWallets(session=session).add(kept)
        await transaction.commit()
        await SqlaWallets(session=session).add(Wallet(user_id=dropped, created_at=clock.now()))
        await transaction.rollback()

    async with session_factory() as session:
        assert await SqlaWallets(session=session).get(user_id) == kept
        assert await SqlaWallets(session=session).get(dropped) is None
