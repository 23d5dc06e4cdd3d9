"""SqlaWalletBalances against PostgreSQL: credit, debit, read, and a debit race."""

from __future__ import annotations

import asyncio
from typing import Final
from uuid import UUID

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from wallet_domain.errors import ValidationError, WalletNotFound
from wallet_domain.model.transaction import (
    LedgerEntry,
    TransactionStatus,
    new_deposit,
    new_payment,
)
from wallet_domain.model.wallet import Balance, Wallet
from wallet_domain.money import MAX_AMOUNT, Money
from wallet_infra.clock import SystemClock
from wallet_infra.ids import UuidV7Generator
from wallet_infra.persistence.ledger import SqlaLedger
from wallet_infra.persistence.wallet_balances import SqlaWalletBalances
from wallet_infra.persistence.wallets import SqlaWallets

PROVIDER_ID: Final = UUID("01890a5d-ac96-774b-bcce-b302099a8057")
clock: Final = SystemClock()
ids: Final = UuidV7Generator()


async def open_wallet(session: AsyncSession, user_id: str) -> None:
    await SqlaWallets(session=session).add(Wallet(user_id=user_id, created_at=clock.now()))


async def deposit(session: AsyncSession, user_id: str, money: Money) -> int:
    """Credit and its ledger row, so balance == sum(ledger) holds for test data too."""
    balance = await SqlaWalletBalances(session=session).credit(user_id, money)
    entry = new_deposit(
        id=ids.new_id(), user_id=user_id, money=money, reference=None, at=clock.now()
    )
    await SqlaLedger(session=session).append(entry)
    return balance


async def pay(session: AsyncSession, user_id: str, money: Money) -> LedgerEntry | None:
    """Step 2 of the payment flow: debit and a PENDING payment row, or None."""
    if await SqlaWalletBalances(session=session).debit(user_id, money) is None:
        return None
    entry = new_payment(
        id=ids.new_id(),
        user_id=user_id,
        money=money,
        provider_id=PROVIDER_ID,
        external_reference="bill-1",
        at=clock.now(),
    )
    await SqlaLedger(session=session).append(entry)
    return entry


async def ledger_sum(session: AsyncSession, user_id: str, currency: str) -> int:
    result = await session.execute(
        text(
            "SELECT COALESCE(SUM(amount), 0) FROM transactions WHERE user_id = :u AND currency = :c"
        ),
        {"u": user_id, "c": currency},
    )
    return int(result.scalar_one())


async def test_credit_creates_the_balance_then_adds(session: AsyncSession, user_id: str) -> None:
    await open_wallet(session, user_id)
    balances = SqlaWalletBalances(session=session)

    assert await balances.credit(user_id, Money(100, "USD")) == 100
    assert await balances.credit(user_id, Money(50, "USD")) == 150
    assert await balances.credit(user_id, Money(7, "EUR")) == 7

    assert await balances.read(user_id) == [
        Balance(currency="EUR", available=7, pending=0),
        Balance(currency="USD", available=150, pending=0),
    ]


async def test_credit_of_an_unknown_wallet_is_wallet_not_found(
    session: AsyncSession, user_id: str
) -> None:
    with pytest.raises(WalletNotFound):
        await SqlaWalletBalances(session=session).credit(user_id, Money(1, "USD"))


async def test_credit_past_int64_is_a_validation_error(session: AsyncSession, user_id: str) -> None:
    await open_wallet(session, user_id)
    balances = SqlaWalletBalances(session=session)
    await balances.credit(user_id, Money(MAX_AMOUNT, "USD"))

    with pytest.raises(ValidationError) as raised:
        await balances.credit(user_id, Money(1, "USD"))

    assert raised.value.details == {"field": "amount"}
    assert raised.value.message == "the balance would exceed the largest amount"


async def test_debit_never_goes_negative(session: AsyncSession, user_id: str) -> None:
    await open_wallet(session, user_id)
    balances = SqlaWalletBalances(session=session)
    await balances.credit(user_id, Money(100, "USD"))

    assert await balances.debit(user_id, Money(101, "USD")) is None
    assert await balances.debit(user_id, Money(60, "USD")) == 40
    assert await balances.debit(user_id, Money(40, "USD")) == 0
    assert await balances.debit(user_id, Money(1, "USD")) is None
    assert await balances.debit(user_id, Money(1, "EUR")) is None  # never held
    assert await balances.read(user_id) == [Balance(currency="USD", available=0, pending=0)]


async def test_read_reports_pending_payments_per_currency(
    session: AsyncSession, user_id: str
) -> None:
    await open_wallet(session, user_id)
    await deposit(session, user_id, Money(1_000, "USD"))
    await deposit(session, user_id, Money(500, "EUR"))
    await deposit(session, user_id, Money(10, "JPY"))
    await pay(session, user_id, Money(100, "USD"))
    await pay(session, user_id, Money(25, "USD"))
    settled = await pay(session, user_id, Money(300, "USD"))
    await pay(session, user_id, Money(50, "EUR"))
    assert settled is not None
    await SqlaLedger(session=session).settle_payment(
        settled.id, TransactionStatus.APPROVED, clock.now()
    )
    balances = SqlaWalletBalances(session=session)

    assert await balances.read(user_id) == [
        Balance(currency="EUR", available=450, pending=50),
        Balance(currency="JPY", available=10, pending=0),
        Balance(currency="USD", available=575, pending=125),
    ]
    assert await balances.read(user_id, "USD") == [
        Balance(currency="USD", available=575, pending=125)
    ]
    assert await balances.read(user_id, "GBP") == []
    assert await balances.read("nobody-has-this-id") == []


async def test_concurrent_debits_of_one_balance_never_overdraw(
    session_factory: async_sessionmaker[AsyncSession], user_id: str
) -> None:
    initial, amount, attempts = 1_000, 30, 50
    async with session_factory() as session:
        await open_wallet(session, user_id)
        await deposit(session, user_id, Money(initial, "USD"))
        await session.commit()
    start = asyncio.Event()

    async def attempt() -> bool:
        async with session_factory() as own:
            await start.wait()
            paid = await pay(own, user_id, Money(amount, "USD"))
            await asyncio.sleep(0.005)  # hold the row lock a little: real contention
            await own.commit()
            return paid is not None

    tasks = [asyncio.create_task(attempt()) for _ in range(attempts)]
    await asyncio.sleep(0.05)
    start.set()
    outcomes = await asyncio.gather(*tasks)

    assert sum(outcomes) == initial // amount
    async with session_factory() as session:
        [balance] = await SqlaWalletBalances(session=session).read(user_id)
        assert balance.available == initial - (initial // amount) * amount >= 0
        assert balance.pending == (initial // amount) * amount
        assert await ledger_sum(session, user_id, "USD") == balance.available
