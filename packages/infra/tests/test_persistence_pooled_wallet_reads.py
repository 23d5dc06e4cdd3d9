"""PooledWalletReads against PostgreSQL: the reads of a balance request on the engine's
pool, answering as the session-bound adapters do, and only from what is committed."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from wallet_domain.model.wallet import Balance
from wallet_domain.money import Money
from wallet_infra.persistence.pooled_wallet_reads import PooledWalletReads
from wallet_infra.persistence.wallet_balances import SqlaWalletBalances
from wallet_infra.persistence.wallets import SqlaWallets

from .payment_kit import funded_wallet, open_payment, open_wallet


async def test_reads_answer_as_the_session_adapters_do(
    engine: AsyncEngine, session_factory: async_sessionmaker[AsyncSession], user_id: str
) -> None:
    await funded_wallet(session_factory, user_id, Money(1_000, "USD"), Money(7, "EUR"))
    async with session_factory() as session:
        await open_payment(session, user_id, Money(100, "USD"))
        await session.commit()
    reads = PooledWalletReads(engine=engine)

    async with session_factory() as session:
        assert await reads.get(user_id) == await SqlaWallets(session=session).get(user_id)
        for currency in (None, "USD", "JPY"):
            expected = await SqlaWalletBalances(session=session).read(user_id, currency)
            assert await reads.read(user_id, currency) == expected
    usd = await reads.read(user_id, "USD")
    assert usd.balances == [Balance(currency="USD", available=900, pending=100)]
    assert usd.version > 0


async def test_an_unknown_wallet_is_none_and_holds_nothing(
    engine: AsyncEngine, user_id: str
) -> None:
    reads = PooledWalletReads(engine=engine)
    assert await reads.get(user_id) is None
    nothing = await reads.read(user_id)
    assert (nothing.version, nothing.balances) == (0, [])


async def test_reads_see_only_what_is_committed(
    engine: AsyncEngine, session: AsyncSession, user_id: str
) -> None:
    await open_wallet(session, user_id)  # not committed: another connection cannot see it
    assert await PooledWalletReads(engine=engine).get(user_id) is None
