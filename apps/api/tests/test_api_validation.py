"""Bad input gets the right 4xx envelope: never a 500, never an echo of the input."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from wallet_api_testkit import PROVIDER_ID, Api, assert_error, new_key, new_user_id

VALID_PAYMENT: dict[str, Any] = {
    "provider_id": PROVIDER_ID,
    "external_reference": "bill-1",
    "amount": 100,
    "currency": "USD",
}
BAD_AMOUNTS = [-1, 0, 1.5, 100.0, "100", True, 2**63, 10**30, None, [], {}]
BAD_CURRENCIES = ["usd", "XXX", "US", "USDD", "", 840, None]


def _without(field: str) -> dict[str, Any]:
    return {k: v for k, v in VALID_PAYMENT.items() if k != field}


BAD_PAYMENT_BODIES = [
    *[{**VALID_PAYMENT, "amount": amount} for amount in BAD_AMOUNTS],
    *[{**VALID_PAYMENT, "currency": currency} for currency in BAD_CURRENCIES],
    *[_without(field) for field in VALID_PAYMENT],
    {**VALID_PAYMENT, "extra": "field"},
    {**VALID_PAYMENT, "external_reference": "r" * 129},
    {**VALID_PAYMENT, "external_reference": ""},
    {**VALID_PAYMENT, "external_reference": "line\nbreak"},
    {**VALID_PAYMENT, "external_reference": 12345},
    {**VALID_PAYMENT, "provider_id": "not-a-uuid"},
    {**VALID_PAYMENT, "provider_id": 42},
    {},
    [],
    "a string",
    None,
]


@pytest.fixture(scope="module")
async def payer(api: Api) -> AsyncIterator[str]:
    user_id = await api.funded_wallet(10_000)
    yield user_id
    # No bad request may have moved money.
    assert await api.balances(user_id) == {"USD": {"available": 10_000, "pending": 0}}


@pytest.mark.parametrize("body", BAD_PAYMENT_BODIES, ids=repr)
async def test_bad_payment_bodies_are_400(api: Api, payer: str, body: Any) -> None:
    response = await api.client.post(
        f"/wallets/{payer}/payments", json=body, headers={"Idempotency-Key": new_key()}
    )
    assert_error(response, 400, "VALIDATION_ERROR")


@pytest.mark.parametrize(
    "body",
    [
        *[{"amount": amount, "currency": "USD"} for amount in BAD_AMOUNTS],
        *[{"amount": 1, "currency": currency} for currency in BAD_CURRENCIES],
        {"currency": "USD"},
        {"amount": 1},
        {"amount": 1, "currency": "USD", "reference": "r" * 129},
        {"amount": 1, "currency": "USD", "reference": 7},
        {"amount": 1, "currency": "USD", "user_id": "someone-else"},
    ],
    ids=repr,
)
async def test_bad_deposit_bodies_are_400(api: Api, payer: str, body: Any) -> None:
    response = await api.client.post(
        f"/wallets/{payer}/deposits", json=body, headers={"Idempotency-Key": new_key()}
    )
    assert_error(response, 400, "VALIDATION_ERROR")


@pytest.mark.parametrize("route", ["payments", "deposits"])
@pytest.mark.parametrize(
    "content", [b"{", b'{"amount": 1,}', b"\xff\xfe", b"", b"NaN", b'{"amount": 1e999}']
)
async def test_invalid_json_is_400(api: Api, payer: str, route: str, content: bytes) -> None:
    response = await api.client.post(
        f"/wallets/{payer}/{route}",
        content=content,
        headers={"Idempotency-Key": new_key(), "Content-Type": "application/json"},
    )
    assert_error(response, 400, "VALIDATION_ERROR")


async def test_json_sent_as_another_content_type_is_400(api: Api, payer: str) -> None:
    response = await api.client.post(
        f"/wallets/{payer}/deposits",
        content=b'{"amount": 1, "currency": "USD"}',
        headers={"Idempotency-Key": new_key(), "Content-Type": "text/plain"},
    )
    assert_error(response, 400, "VALIDATION_ERROR")


@pytest.mark.parametrize("key", [b"k" * 256, b"tab\there", "ключ".encode(), b"del\x7f"])
async def test_bad_idempotency_keys_are_400(api: Api, payer: str, key: bytes) -> None:
    response = await api.client.post(
        f"/wallets/{payer}/payments", json=VALID_PAYMENT, headers={"Idempotency-Key": key}
    )
    error = assert_error(response, 400, "VALIDATION_ERROR")
    assert error["details"]["field"] == "Idempotency-Key"


async def test_longest_idempotency_key_is_accepted(api: Api, payer: str) -> None:
    response = await api.client.post(
        f"/wallets/{payer}/deposits",
        json={"amount": 1, "currency": "USD"},
        headers={"Idempotency-Key": new_key()[:8] + "k" * 247},
    )
    assert response.status_code == 201
    await api.client.post(  # give it back so the module's balance check still holds
        f"/wallets/{payer}/payments",
        json={**VALID_PAYMENT, "amount": 1},
        headers={"Idempotency-Key": new_key()},
    )


@pytest.mark.parametrize("user_id", ["u" * 65, "bad id!", "semi;colon", "dot.ted"])
async def test_bad_user_ids_in_path_are_400(api: Api, user_id: str) -> None:
    for method, path, body in [
        ("GET", f"/wallets/{user_id}/balance", None),
        ("GET", f"/wallets/{user_id}/transactions", None),
        ("POST", f"/wallets/{user_id}/deposits", {"amount": 1, "currency": "USD"}),
        ("POST", f"/wallets/{user_id}/payments", VALID_PAYMENT),
    ]:
        response = await api.client.request(
            method, path, json=body, headers={"Idempotency-Key": new_key()}
        )
        assert_error(response, 400, "VALIDATION_ERROR")


async def test_one_mebibyte_body_is_413_before_reading(api: Api, payer: str) -> None:
    body = b'{"amount": 1, "currency": "USD", "reference": "' + b"x" * 2**20 + b'"}'
    response = await api.client.post(
        f"/wallets/{payer}/deposits",
        content=body,
        headers={"Idempotency-Key": new_key(), "Content-Type": "application/json"},
    )
    error = assert_error(response, 413, "PAYLOAD_TOO_LARGE")
    assert error["details"] == {"max_bytes": 16384}


async def test_streamed_body_over_the_limit_is_413(api: Api, payer: str) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"amount": 1, "currency": "USD", "reference": "'
        for _ in range(64):
            yield b"x" * 1024
        yield b'"}'

    response = await api.client.post(
        f"/wallets/{payer}/deposits",
        content=chunks(),
        headers={"Idempotency-Key": new_key(), "Content-Type": "application/json"},
    )
    assert "content-length" not in {k.lower() for k in response.request.headers}
    assert_error(response, 413, "PAYLOAD_TOO_LARGE")


async def test_streamed_body_under_the_limit_is_accepted(api: Api) -> None:
    user_id = await api.create_wallet(new_user_id())

    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"amount": 3, '
        yield b'"currency": "USD"}'

    response = await api.client.post(
        f"/wallets/{user_id}/deposits",
        content=chunks(),
        headers={"Idempotency-Key": new_key(), "Content-Type": "application/json"},
    )
    assert response.status_code == 201, response.text
