"""The largest amount a wallet may own in one currency bounds its balance PLUS what its
PENDING payments hold, so money held for a payment can always come back: a deposit that
would leave no room for it is refused before it changes anything."""

from __future__ import annotations

import asyncio

from wallet_api_testkit import Api, assert_error, new_key
from wallet_domain.money import MAX_AMOUNT
from wallet_testkit.polling import eventually


async def test_a_deposit_made_while_a_payment_is_in_flight_cannot_strand_its_refund(
    api: Api,
) -> None:
    user_id = await api.funded_wallet(MAX_AMOUNT)
    key = new_key()
    # `timeout`: the gateway hangs and never charges, so the payment ends FAILED + refunded.
    paying = asyncio.create_task(api.pay(user_id, 1_000, "mock:timeout:bill", key=key))

    async def debited() -> bool:
        return (await api.balances(user_id))["USD"]["pending"] == 1_000

    await eventually(debited, timeout_s=10)
    refused = await api.deposit(user_id, 1_000)

    assert_error(refused, 400, "VALIDATION_ERROR")
    error = assert_error(await paying, 504, "GATEWAY_TIMEOUT")
    assert error["details"]["resolution"] == "refunded"
    assert await api.balances(user_id) == {"USD": {"available": MAX_AMOUNT, "pending": 0}}
    replay = await api.pay(user_id, 1_000, "mock:timeout:bill", key=key)
    assert replay.headers["Idempotent-Replayed"] == "true"


async def test_a_full_wallet_can_still_pay_and_take_back_what_it_spent(api: Api) -> None:
    user_id = await api.funded_wallet(MAX_AMOUNT)
    assert (await api.pay(user_id, 500, "bill-1")).status_code == 201

    assert_error(await api.deposit(user_id, 501), 400, "VALIDATION_ERROR")
    assert (await api.deposit(user_id, 500)).status_code == 201
    assert await api.balances(user_id) == {"USD": {"available": MAX_AMOUNT, "pending": 0}}
