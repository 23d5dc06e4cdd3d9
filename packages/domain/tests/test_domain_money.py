"""Money: integer minor units in the int64 range, an ISO-4217 code, never floats."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from wallet_domain.errors import ErrorCode, ValidationError
from wallet_domain.money import DEFAULT_CURRENCIES, MAX_AMOUNT, Money, ensure_supported


def test_max_amount_is_int64_max() -> None:
    assert MAX_AMOUNT == 9_223_372_036_854_775_807


@pytest.mark.parametrize("amount", [1, 2_500, MAX_AMOUNT])
def test_accepts_positive_int64_amounts(amount: int) -> None:
    money = Money(amount, "USD")
    assert (money.amount, money.currency) == (amount, "USD")


@pytest.mark.parametrize("amount", [0, -1, MAX_AMOUNT + 1, -(2**63)])
def test_rejects_amounts_out_of_range(amount: int) -> None:
    with pytest.raises(ValidationError) as caught:
        Money(amount, "USD")
    assert caught.value.code is ErrorCode.VALIDATION_ERROR
    assert caught.value.details == {"field": "amount"}


@pytest.mark.parametrize("amount", [True, False, 1.0, 2.5, "100", Decimal(1), None])
def test_rejects_anything_but_a_plain_int(amount: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        Money(amount, "USD")
    assert caught.value.details == {"field": "amount"}
    assert "integer" in caught.value.message


def test_rejects_int_subclasses() -> None:
    class Sneaky(int):
        pass

    with pytest.raises(ValidationError):
        Money(Sneaky(5), "USD")


@pytest.mark.parametrize("currency", ["usd", "US", "USDX", "", "U5D", "USD\n", " USD", 840, None])
def test_rejects_malformed_currency_codes(currency: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        Money(100, currency)
    assert caught.value.details == {"field": "currency"}


def test_is_a_value_object() -> None:
    assert Money(5, "EUR") == Money(5, "EUR")
    assert Money(5, "EUR") != Money(5, "USD")
    assert hash(Money(5, "EUR")) == hash(Money(5, "EUR"))
    with pytest.raises(AttributeError):
        Money(5, "EUR").amount = 6  # type: ignore[misc]


@given(st.integers())
def test_accepts_exactly_the_positive_int64_range(amount: int) -> None:
    if 1 <= amount <= MAX_AMOUNT:
        assert Money(amount, "JPY").amount == amount
    else:
        with pytest.raises(ValidationError):
            Money(amount, "JPY")


@given(st.text(max_size=5))
def test_currency_is_exactly_three_ascii_capitals(currency: str) -> None:
    well_formed = len(currency) == 3 and all("A" <= c <= "Z" for c in currency)
    if well_formed:
        assert Money(1, currency).currency == currency
    else:
        with pytest.raises(ValidationError):
            Money(1, currency)


def test_default_currencies_match_the_spec() -> None:
    assert frozenset({"USD", "EUR", "GBP", "BRL", "MXN", "ARS", "JPY"}) == DEFAULT_CURRENCIES


@pytest.mark.parametrize("currency", sorted(DEFAULT_CURRENCIES))
def test_ensure_supported_passes_configured_currencies(currency: str) -> None:
    assert ensure_supported(currency, DEFAULT_CURRENCIES) == currency


@pytest.mark.parametrize("currency", ["CHF", "usd", "", "XXX"])
def test_ensure_supported_rejects_others_and_lists_the_supported(currency: str) -> None:
    with pytest.raises(ValidationError) as caught:
        ensure_supported(currency, frozenset({"USD", "EUR"}))
    assert caught.value.details == {"field": "currency", "supported": ["EUR", "USD"]}


def test_ensure_supported_honours_a_configured_list() -> None:
    assert ensure_supported("CHF", frozenset({"CHF"})) == "CHF"
    with pytest.raises(ValidationError):
        ensure_supported("USD", frozenset({"CHF"}))
