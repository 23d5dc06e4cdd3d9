"""POST /wallets."""

from __future__ import annotations

import pytest
from wallet_api_testkit import SCOPED_KEY, SCOPED_USER, Api, assert_error, new_user_id


async def test_create_wallet_returns_201_with_user_and_timestamp(api: Api) -> None:
    user_id = new_user_id()
    response = await api.client.post("/wallets", json={"user_id": user_id})
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"user_id", "created_at"}
    assert body["user_id"] == user_id
    assert body["created_at"].endswith("Z")


async def test_new_wallet_holds_nothing(api: Api) -> None:
    user_id = await api.create_wallet()
    assert await api.balances(user_id) == {}


async def test_second_wallet_for_same_user_is_409(api: Api) -> None:
    user_id = await api.create_wallet()
    response = await api.client.post("/wallets", json={"user_id": user_id})
    assert_error(response, 409, "WALLET_ALREADY_EXISTS")


@pytest.mark.parametrize(
    "body",
    [
        {"user_id": "x" * 65},
        {"user_id": "bad id!"},
        {"user_id": ""},
        {"user_id": 123},
        {"user_id": None},
        {},
        {"user_id": "ok", "extra": 1},
        [],
        "text",
    ],
)
async def test_invalid_wallet_requests_are_400(api: Api, body: object) -> None:
    response = await api.client.post("/wallets", json=body)
    assert_error(response, 400, "VALIDATION_ERROR")


async def test_longest_valid_user_id_is_accepted(api: Api) -> None:
    user_id = new_user_id()[:8] + "_" + "A" * 55
    assert len(user_id) == 64
    assert await api.create_wallet(user_id) == user_id


async def test_scoped_key_cannot_create_another_users_wallet(api: Api) -> None:
    other = new_user_id()
    response = await api.client.post(
        "/wallets", json={"user_id": other}, headers={"X-API-Key": SCOPED_KEY}
    )
    error = assert_error(response, 404, "NOT_FOUND")
    assert error["details"] == {"user_id": other}
    # ... and nothing was created: the service key can still create it.
    assert await api.create_wallet(other) == other


async def test_scoped_key_creates_its_own_wallet(api: Api) -> None:
    response = await api.client.post(
        "/wallets", json={"user_id": SCOPED_USER}, headers={"X-API-Key": SCOPED_KEY}
    )
    assert response.status_code in (201, 409)  # 409 when another test created it first
