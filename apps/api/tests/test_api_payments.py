"""POST /wallets/{user_id}/payments and GET .../payments/{id}: every gateway outcome."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from wallet_api_testkit import (
    INACTIVE_PROVIDER_ID,
    PROVIDER_ID,
    Api,
    assert_error,
    assert_replayed,
    fetch,
    new_key,
    new_user_id,
    send_twice,
    settle_as_recovery_would,
    wait_until_held,
)


async def _ledger(engine: AsyncEngine, user_id: str) -> list[tuple[str, str, int]]:
    """(type, status, signed amount) oldest first."""
    sql = "SELECT type, status, amount FROM transactions WHERE user_id = :u ORDER BY id"
    return [(r.type, r.status, r.amount) for r in await fetch(engine, sql, u=user_id)]


async def test_approved_payment_is_201_and_debits(api: Api) -> None:
    user_id = await api.funded_wallet(1000)
    response = await api.pay(user_id, 300, "bill-42")
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["type"] == "PAYMENT"
    assert body["status"] == "APPROVED"
    assert body["amount"] == 300
    assert body["provider_id"] == PROVIDER_ID
    assert body["external_reference"] == "bill-42"
    assert await api.balances(user_id) == {"USD": {"available": 700, "pending": 0}}

    fetched = await api.client.get(f"/wallets/{user_id}/payments/{body['id']}")
    assert fetched.status_code == 200
    assert fetched.content == response.content  # one renderer for live and stored bodies


async def test_declined_is_402_and_refunded(api: Api, engine: AsyncEngine) -> None:
    user_id = await api.funded_wallet(1000)
    error = assert_error(await api.pay(user_id, 300, "mock:declined:b"), 402, "PAYMENT_DECLINED")
    assert error["details"]["status"] == "DECLINED"
    payment_id = error["details"]["payment_id"]
    assert await api.balances(user_id) == {"USD": {"available": 1000, "pending": 0}}
    assert (await _ledger(engine, user_id))[1:] == [
        ("PAYMENT", "DECLINED", -300),
        ("REFUND", "COMPLETED", 300),
    ]
    fetched = await api.client.get(f"/wallets/{user_id}/payments/{payment_id}")
    assert fetched.json()["status"] == "DECLINED"


@pytest.mark.parametrize(
    ("reference", "status_code", "code"),
    [("mock:error:b", 502, "GATEWAY_ERROR"), ("mock:timeout:b", 504, "GATEWAY_TIMEOUT")],
    ids=["gateway-error-is-502", "timeout-without-charge-is-504"],
)
async def test_a_gateway_error_or_a_timeout_without_charge_is_failed_and_refunded(
    api: Api, reference: str, status_code: int, code: str
) -> None:
    user_id = await api.funded_wallet(1000)
    error = assert_error(await api.pay(user_id, 300, reference), status_code, code)
    assert error["details"]["status"] == "FAILED"
    assert error["details"]["resolution"] == "refunded"
    assert await api.balances(user_id) == {"USD": {"available": 1000, "pending": 0}}


async def test_timeout_after_charge_is_approved(api: Api) -> None:
    user_id = await api.funded_wallet(1000)
    response = await api.pay(user_id, 300, "mock:charged_timeout:b")
    assert response.status_code == 201, response.text
    assert response.json()["status"] == "APPROVED"
    assert await api.balances(user_id) == {"USD": {"available": 700, "pending": 0}}


async def test_unknown_outcome_is_504_pending_and_funds_stay_held(api: Api) -> None:
    user_id = await api.funded_wallet(1000)
    error = assert_error(await api.pay(user_id, 300, "mock:unknown:b"), 504, "GATEWAY_TIMEOUT")
    assert error["details"]["resolution"] == "pending"
    assert error["details"]["status"] == "PENDING"
    assert await api.balances(user_id) == {"USD": {"available": 700, "pending": 300}}
    payment_id = error["details"]["payment_id"]
    fetched = await api.client.get(f"/wallets/{user_id}/payments/{payment_id}")
    assert fetched.json()["status"] == "PENDING"
    await settle_as_recovery_would(api, user_id, payment_id)
    assert await api.balances(user_id) == {"USD": {"available": 700, "pending": 0}}


async def test_insufficient_funds_is_409_and_changes_nothing(api: Api, engine: AsyncEngine) -> None:
    user_id = await api.funded_wallet(100)
    key = new_key()
    first = await api.pay(user_id, 101, key=key)
    assert_error(first, 409, "INSUFFICIENT_FUNDS")
    assert_replayed(first, await api.pay(user_id, 101, key=key))
    assert await api.balances(user_id) == {"USD": {"available": 100, "pending": 0}}
    assert await _ledger(engine, user_id) == [("DEPOSIT", "COMPLETED", 100)]


async def test_currency_never_held_is_insufficient(api: Api) -> None:
    user_id = await api.funded_wallet(100)
    assert_error(await api.pay(user_id, 1, currency="JPY"), 409, "INSUFFICIENT_FUNDS")


async def test_unknown_wallet_is_404(api: Api) -> None:
    assert_error(await api.pay(new_user_id(), 1), 404, "NOT_FOUND")


async def test_unknown_or_inactive_provider_is_404(api: Api) -> None:
    user_id = await api.funded_wallet(100)
    for provider_id in (str(uuid.uuid4()), INACTIVE_PROVIDER_ID):
        error = assert_error(await api.pay(user_id, 1, provider_id=provider_id), 404, "NOT_FOUND")
        assert error["details"] == {"provider_id": provider_id}
    assert await api.balances(user_id) == {"USD": {"available": 100, "pending": 0}}


async def test_replay_is_byte_identical_without_second_debit(api: Api, engine: AsyncEngine) -> None:
    user_id = await api.funded_wallet(1000)
    key = new_key()
    await send_twice(lambda: api.pay(user_id, 250, key=key), 201)
    assert await api.balances(user_id) == {"USD": {"available": 750, "pending": 0}}
    payments = [row for row in await _ledger(engine, user_id) if row[0] == "PAYMENT"]
    assert payments == [("PAYMENT", "APPROVED", -250)]


async def test_failed_outcome_replays_byte_identical(api: Api) -> None:
    user_id = await api.funded_wallet(1000)
    key = new_key()
    await send_twice(lambda: api.pay(user_id, 250, "mock:declined:x", key=key), 402)


async def test_same_key_other_body_is_422(api: Api) -> None:
    user_id = await api.funded_wallet(1000)
    key = new_key()
    assert (await api.pay(user_id, 250, key=key)).status_code == 201
    assert_error(await api.pay(user_id, 251, key=key), 422, "IDEMPOTENCY_KEY_REUSED")
    assert_error(await api.pay(user_id, 250, "other", key=key), 422, "IDEMPOTENCY_KEY_REUSED")
    assert await api.balances(user_id) == {"USD": {"available": 750, "pending": 0}}


async def test_duplicate_while_in_flight_is_409_in_progress(api: Api) -> None:
    user_id = await api.funded_wallet(1000)
    key = new_key()
    first = asyncio.create_task(api.pay(user_id, 100, "mock:timeout:slow", key=key))
    await wait_until_held(api, user_id, 100)  # the first holds its key at the gateway
    assert not first.done()
    duplicate = await api.pay(user_id, 100, "mock:timeout:slow", key=key)
    assert_error(duplicate, 409, "IDEMPOTENCY_IN_PROGRESS")
    original = await first
    assert_error(original, 504, "GATEWAY_TIMEOUT")
    assert_replayed(original, await api.pay(user_id, 100, "mock:timeout:slow", key=key))
    assert await api.balances(user_id) == {"USD": {"available": 1000, "pending": 0}}


async def test_get_payment_of_another_wallet_or_not_a_payment_is_404(api: Api) -> None:
    owner = await api.funded_wallet(1000)
    other = await api.create_wallet()
    payment = (await api.pay(owner, 10)).json()
    deposit = (await api.deposit(owner, 5)).json()
    assert_error(
        await api.client.get(f"/wallets/{other}/payments/{payment['id']}"), 404, "NOT_FOUND"
    )
    assert_error(
        await api.client.get(f"/wallets/{owner}/payments/{deposit['id']}"), 404, "NOT_FOUND"
    )
    assert_error(
        await api.client.get(f"/wallets/{owner}/payments/{uuid.uuid4()}"), 404, "NOT_FOUND"
    )


async def test_get_payment_with_malformed_id_is_400(api: Api) -> None:
    user_id = await api.create_wallet()
    response = await api.client.get(f"/wallets/{user_id}/payments/not-a-uuid")
    error = assert_error(response, 400, "VALIDATION_ERROR")
    assert error["details"]["errors"][0]["field"] == "payment_id"
    assert "not-a-uuid" not in response.text
