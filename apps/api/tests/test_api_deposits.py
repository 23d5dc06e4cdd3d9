"""POST /wallets/{user_id}/deposits, idempotent."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from wallet_api_testkit import Api, assert_error, new_key, new_user_id, send_twice


async def _ledger_rows(engine: AsyncEngine, user_id: str) -> int:
    async with engine.connect() as conn:
        result = await conn.execute(
            text("SELECT count(*) FROM transactions WHERE user_id = :u"), {"u": user_id}
        )
        return int(result.scalar_one())


async def test_deposit_is_201_completed_and_credits(api: Api) -> None:
    user_id = await api.create_wallet()
    response = await api.client.post(
        f"/wallets/{user_id}/deposits",
        json={"amount": 2500, "currency": "EUR", "reference": "top-up 1"},
        headers={"Idempotency-Key": new_key()},
    )
    assert response.status_code == 201
    assert "Idempotent-Replayed" not in response.headers
    body = response.json()
    assert body["type"] == "DEPOSIT"
    assert body["status"] == "COMPLETED"
    assert body["amount"] == 2500
    assert body["currency"] == "EUR"
    assert body["reference"] == "top-up 1"
    assert body["provider_id"] is None
    assert body["refund_of"] is None
    assert await api.balances(user_id) == {"EUR": {"available": 2500, "pending": 0}}


async def test_replay_is_byte_identical_and_credits_once(api: Api, engine: AsyncEngine) -> None:
    user_id = await api.create_wallet()
    key = new_key()
    await send_twice(lambda: api.deposit(user_id, 700, key=key), 201)
    assert await api.balances(user_id) == {"USD": {"available": 700, "pending": 0}}
    assert await _ledger_rows(engine, user_id) == 1


async def test_same_key_other_body_is_422(api: Api) -> None:
    user_id = await api.create_wallet()
    key = new_key()
    assert (await api.deposit(user_id, 700, key=key)).status_code == 201
    assert_error(await api.deposit(user_id, 701, key=key), 422, "IDEMPOTENCY_KEY_REUSED")
    assert await api.balances(user_id) == {"USD": {"available": 700, "pending": 0}}


async def test_keys_are_scoped_per_wallet(api: Api) -> None:
    key = new_key()
    first, second = await api.create_wallet(), await api.create_wallet()
    assert (await api.deposit(first, 100, key=key)).status_code == 201
    replay = await api.deposit(second, 100, key=key)
    assert replay.status_code == 201
    assert "Idempotent-Replayed" not in replay.headers


async def test_missing_key_is_400(api: Api) -> None:
    user_id = await api.create_wallet()
    response = await api.client.post(
        f"/wallets/{user_id}/deposits", json={"amount": 1, "currency": "USD"}
    )
    error = assert_error(response, 400, "VALIDATION_ERROR")
    assert error["details"]["field"] == "Idempotency-Key"


async def test_unknown_wallet_is_404_and_does_not_consume_the_key(api: Api) -> None:
    user_id = new_user_id()
    key = new_key()
    assert_error(await api.deposit(user_id, 100, key=key), 404, "NOT_FOUND")
    await api.create_wallet(user_id)
    response = await api.deposit(user_id, 100, key=key)
    assert response.status_code == 201
    assert "Idempotent-Replayed" not in response.headers


async def test_rejected_input_does_not_consume_the_key(api: Api) -> None:
    user_id = await api.create_wallet()
    key = new_key()
    assert_error(await api.deposit(user_id, 0, key=key), 400, "VALIDATION_ERROR")
    assert (await api.deposit(user_id, 5, key=key)).status_code == 201


async def test_balance_overflow_is_400_not_500(api: Api) -> None:
    user_id = await api.create_wallet()
    assert (await api.deposit(user_id, 2**63 - 1)).status_code == 201
    assert_error(await api.deposit(user_id, 1), 400, "VALIDATION_ERROR")
    assert await api.balances(user_id) == {"USD": {"available": 2**63 - 1, "pending": 0}}
