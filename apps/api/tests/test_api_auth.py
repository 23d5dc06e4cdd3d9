"""X-API-Key authentication and wallet scoping."""

from __future__ import annotations

import uuid

import pytest
from wallet_api_testkit import (
    PROVIDER_ID,
    SCOPED_KEY,
    SCOPED_USER,
    Api,
    assert_error,
    new_key,
    new_user_id,
)

PUBLIC = ["/healthz", "/readyz", "/openapi.json", "/docs"]


def _wallet_routes(user_id: str) -> list[tuple[str, str, dict[str, object] | None]]:
    return [
        ("GET", f"/wallets/{user_id}/balance", None),
        ("GET", f"/wallets/{user_id}/balance?currency=USD", None),
        ("GET", f"/wallets/{user_id}/transactions", None),
        ("GET", f"/wallets/{user_id}/payments/{uuid.uuid4()}", None),
        ("POST", f"/wallets/{user_id}/deposits", {"amount": 100, "currency": "USD"}),
        (
            "POST",
            f"/wallets/{user_id}/payments",
            {
                "provider_id": PROVIDER_ID,
                "external_reference": "bill",
                "amount": 1,
                "currency": "USD",
            },
        ),
    ]


@pytest.fixture(scope="session")
async def scoped_wallet(api: Api) -> str:
    response = await api.client.post("/wallets", json={"user_id": SCOPED_USER})
    assert response.status_code in (201, 409)
    return SCOPED_USER


@pytest.mark.parametrize("headers", [{}, {"X-API-Key": "wrong"}, {"X-API-Key": ""}])
@pytest.mark.parametrize(("method", "path"), [("GET", "/providers"), ("POST", "/wallets")])
async def test_missing_or_unknown_key_is_401(
    api: Api, headers: dict[str, str], method: str, path: str
) -> None:
    client = api.client
    response = await client.request(
        method, path, json={"user_id": new_user_id()}, headers={"X-API-Key": "", **headers}
    )
    assert_error(response, 401, "UNAUTHORIZED")


async def test_401_on_every_wallet_route(api: Api) -> None:
    user_id = await api.create_wallet()
    for method, path, body in _wallet_routes(user_id):
        response = await api.client.request(
            method, path, json=body, headers={"X-API-Key": "nope", "Idempotency-Key": new_key()}
        )
        assert_error(response, 401, "UNAUTHORIZED")
    assert await api.balances(user_id) == {}  # nothing was deposited


@pytest.mark.parametrize("path", PUBLIC)
async def test_probes_and_docs_need_no_key(api: Api, path: str) -> None:
    response = await api.client.get(path, headers={"X-API-Key": ""})
    assert response.status_code == 200, response.text


async def test_scoped_key_on_another_wallet_gets_what_a_missing_wallet_gets(
    api: Api, scoped_wallet: str
) -> None:
    other = await api.funded_wallet(1000)
    missing = new_user_id()
    # What anyone gets for a wallet that does not exist...
    expected = await api.client.get(f"/wallets/{missing}/balance")
    assert_error(expected, 404, "NOT_FOUND")
    for method, path, body in _wallet_routes(other):
        response = await api.client.request(
            method, path, json=body, headers={"X-API-Key": SCOPED_KEY, "Idempotency-Key": new_key()}
        )
        # ...is what a scoped key gets for an existing wallet that is not its own.
        assert response.status_code == 404
        assert response.content == expected.content.replace(missing.encode(), other.encode()), (
            response.text
        )
    assert await api.balances(other) == {"USD": {"available": 1000, "pending": 0}}


async def test_scoped_key_uses_its_own_wallet(api: Api, scoped_wallet: str) -> None:
    headers = {"X-API-Key": SCOPED_KEY}
    deposit = await api.client.post(
        f"/wallets/{scoped_wallet}/deposits",
        json={"amount": 500, "currency": "EUR"},
        headers={**headers, "Idempotency-Key": new_key()},
    )
    assert deposit.status_code == 201, deposit.text
    balance = await api.client.get(f"/wallets/{scoped_wallet}/balance", headers=headers)
    assert balance.status_code == 200
    history = await api.client.get(f"/wallets/{scoped_wallet}/transactions", headers=headers)
    assert history.status_code == 200
    providers = await api.client.get("/providers", headers=headers)
    assert providers.status_code == 200
