"""A wallet's version on PostgreSQL: the balance rows' trigger-kept versions, read with
the balances, and pinned by SqlaWalletVersions.lock until the transaction ends."""

from __future__ import annotations

import asyncio
from typing import Final

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from wallet_domain.model.wallet_version import PinnedWallet
from wallet_domain.money import Money
from wallet_infra.persistence.wallet_balances import SqlaWalletBalances
from wallet_infra.persistence.wallet_versions import SqlaWalletVersions
from wallet_testkit.polling import eventually

from .payment_kit import funded_wallet, open_wallet, wallet_holding

_WAITING_CREDIT: Final = text(
    "SELECT EXISTS (SELECT FROM pg_stat_activity WHERE datname = current_database()"
    " AND wait_event_type = 'Lock' AND query LIKE 'INSERT INTO wallet_balances%')"
)


async def test_a_wallet_without_balances_is_at_version_zero(
    session: AsyncSession, user_id: str
) -> None:
    await open_wallet(session, user_id)
    assert (await SqlaWalletBalances(session=session).read(user_id)).version == 0
    assert await SqlaWalletVersions(session=session).lock(user_id) == PinnedWallet(
        user_id=user_id, version=0, currencies=frozenset()
    )


async def test_an_unknown_wallet_has_no_version_to_lock(session: AsyncSession) -> None:
    assert await SqlaWalletVersions(session=session).lock("nobody-has-this-id") is None


async def test_the_version_sums_every_currency_also_when_one_is_read(
    session: AsyncSession, user_id: str
) -> None:
    await wallet_holding(session, user_id, Money(100, "USD"), Money(5, "USD"), Money(7, "EUR"))
    balances = SqlaWalletBalances(session=session)

    assert (await balances.read(user_id)).version == 3  # USD at 2, EUR at 1
    assert (await balances.read(user_id, "EUR")).version == 3
    assert (await balances.read(user_id, "GBP")).version == 3
    assert await SqlaWalletVersions(session=session).lock(user_id) == PinnedWallet(
        user_id=user_id, version=3, currencies=frozenset({"USD", "EUR"})
    )


async def test_an_update_that_changes_no_amount_keeps_the_version(
    session: AsyncSession, user_id: str
) -> None:
    await wallet_holding(session, user_id, Money(100, "USD"))
    touch = text(
        "UPDATE wallet_balances SET updated_at = now(), balance = balance WHERE user_id = :u"
    )
    await session.execute(touch, {"u": user_id})
    assert (await SqlaWalletBalances(session=session).read(user_id)).version == 1
    await session.execute(
        text("UPDATE wallet_balances SET pending_credit = 1 WHERE user_id = :u"), {"u": user_id}
    )
    assert (await SqlaWalletBalances(session=session).read(user_id)).version == 2


async def test_a_change_that_does_not_move_the_version_forward_gets_it_moved(
    session: AsyncSession, user_id: str
) -> None:
    """Writers may bump the version themselves (the payment's statements do); one that
    sets it from a stale read, or not at all, cannot make a version repeat."""
    await wallet_holding(session, user_id, Money(100, "USD"))
    for set_version in ("version = version + 5", "version = 1", "version = 0"):
        before = (await SqlaWalletBalances(session=session).read(user_id)).version
        change = f"UPDATE wallet_balances SET balance = balance + 1, {set_version}"
        await session.execute(text(f"{change} WHERE user_id = :u"), {"u": user_id})
        after = (await SqlaWalletBalances(session=session).read(user_id)).version
        assert after > before, set_version


async def test_a_locked_wallet_cannot_change_until_the_lock_is_released(
    session_factory: async_sessionmaker[AsyncSession], user_id: str
) -> None:
    await funded_wallet(session_factory, user_id, Money(100, "USD"))
    async with session_factory() as holder, session_factory() as writer:
        pinned = await SqlaWalletVersions(session=holder).lock(user_id)
        assert pinned is not None
        assert pinned.version == 1
        credit = asyncio.create_task(
            SqlaWalletBalances(session=writer).credit(user_id, Money(1, "USD"))
        )

        async def credit_waits_on_a_lock() -> bool:
            async with session_factory() as probe:
                waiting = await probe.scalar(_WAITING_CREDIT)
            return bool(waiting) and not credit.done()

        await eventually(credit_waits_on_a_lock, timeout_s=5)
        await holder.commit()
        assert await credit == 101
        await writer.commit()
