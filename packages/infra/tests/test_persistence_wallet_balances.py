"""SqlaWalletBalances against PostgreSQL: credit (upsert, overflow) and read (available and
pending). Debits happen only through AsyncpgPaymentBook (test_persistence_payment_book)."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession
from wallet_domain.errors import ValidationError, WalletNotFound
from wallet_domain.model.transaction import TransactionStatus
from wallet_domain.model.wallet import Balance
from wallet_domain.money import MAX_AMOUNT, Money
from wallet_infra.persistence.wallet_balances import SqlaWalletBalances

from .payment_kit import open_payment, open_wallet, settle, wallet_holding


async def test_credit_creates_the_balance_then_adds(session: AsyncSession, user_id: str) -> None:
    await open_wallet(session, user_id)
    balances = SqlaWalletBalances(session=session)

    assert await balances.credit(user_id, Money(100, "USD")) == 100
    assert await balances.credit(user_id, Money(50, "USD")) == 150
    assert await balances.credit(user_id, Money(7, "EUR")) == 7

    assert (await balances.read(user_id)).balances == [
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


async def test_credit_that_leaves_no_room_for_held_money_is_a_validation_error(
    session: AsyncSession, user_id: str
) -> None:
    await open_wallet(session, user_id)
    balances = SqlaWalletBalances(session=session)
    await balances.credit(user_id, Money(MAX_AMOUNT, "USD"))
    await open_payment(session, user_id, Money(10, "USD"))  # holds 10: the total stays MAX

    with pytest.raises(ValidationError) as raised:
        async with session.begin_nested():
            await balances.credit(user_id, Money(1, "USD"))  # the balance alone would fit

    assert raised.value.details == {"field": "amount"}
    assert (await balances.read(user_id)).balances == [
        Balance(currency="USD", available=MAX_AMOUNT - 10, pending=10)
    ]


async def test_read_reports_pending_payments_per_currency(
    session: AsyncSession, user_id: str
) -> None:
    await wallet_holding(session, user_id, Money(1_000, "USD"), Money(500, "EUR"), Money(10, "JPY"))
    await open_payment(session, user_id, Money(100, "USD"))
    await open_payment(session, user_id, Money(25, "USD"))
    settled = await open_payment(session, user_id, Money(300, "USD"))
    await open_payment(session, user_id, Money(50, "EUR"))
    declined = await open_payment(session, user_id, Money(5, "JPY"))
    await settle(session, settled, TransactionStatus.APPROVED)
    await settle(session, declined, TransactionStatus.DECLINED)
    balances = SqlaWalletBalances(session=session)

    assert (await balances.read(user_id)).balances == [
        Balance(currency="EUR", available=450, pending=50),
        Balance(currency="JPY", available=10, pending=0),
        Balance(currency="USD", available=575, pending=125),
    ]
    assert (await balances.read(user_id, "USD")).balances == [
        Balance(currency="USD", available=575, pending=125)
    ]
    assert (await balances.read(user_id, "GBP")).balances == []
    assert (await balances.read("nobody-has-this-id")).balances == []
