"""Ambiguous or hostile input is refused without being echoed: repeated JSON keys, field
names the schema does not have, and path spellings the API does not serve (no redirect)."""

from __future__ import annotations

from typing import Any

import pytest
from wallet_api_testkit import PROVIDER_ID, Api, assert_error, new_key, new_user_id

INJECTED = "' OR 1=1--"


def _payment(**fields: str) -> bytes:
    """A payment body with `fields` appended as raw JSON members."""
    extra = "".join(f", {member}" for member in fields.values())
    return (
        f'{{"provider_id": "{PROVIDER_ID}", "external_reference": "bill-1",'
        f' "amount": 1, "currency": "USD"{extra}}}'
    ).encode()


async def _post(api: Api, path: str, content: bytes) -> Any:
    return await api.client.post(
        path,
        content=content,
        headers={"Idempotency-Key": new_key(), "Content-Type": "application/json"},
    )


def _errors(response: Any) -> list[dict[str, str]]:
    errors: list[dict[str, str]] = assert_error(response, 400, "VALIDATION_ERROR")["details"][
        "errors"
    ]
    return errors


def _refused_without_echo(response: Any, field: str, message: str) -> None:
    """A 400 naming only `field` (`message`), and the injected text appears nowhere in it."""
    assert _errors(response) == [{"in": "body", "field": field, "message": message}]
    assert "OR 1=1" not in response.text


async def test_repeated_keys_in_a_deposit_are_400_and_move_no_money(api: Api) -> None:
    user_id = await api.funded_wallet(0)
    response = await _post(
        api,
        f"/wallets/{user_id}/deposits",
        b'{"amount":1,"amount":2,"currency":"USD","currency":"EUR"}',
    )
    assert _errors(response) == [{"in": "body", "field": "amount", "message": "Duplicate field"}]
    assert await api.balances(user_id) == {}


async def test_a_refused_repeat_does_not_consume_the_idempotency_key(api: Api) -> None:
    user_id, key = await api.funded_wallet(0), new_key()
    headers = {"Idempotency-Key": key, "Content-Type": "application/json"}
    path = f"/wallets/{user_id}/deposits"
    refused = await api.client.post(path, content=b'{"amount":1,"amount":2}', headers=headers)
    assert refused.status_code == 400
    accepted = await api.client.post(path, json={"amount": 2, "currency": "USD"}, headers=headers)
    assert accepted.status_code == 201, accepted.text


@pytest.mark.parametrize("depth", [500, 900, 5_000])
async def test_deeply_nested_bodies_are_400_not_500(api: Api, depth: int) -> None:
    user_id = await api.funded_wallet(0)
    content = b'{"amount": ' + b"[" * depth + b"]" * depth + b', "currency": "USD"}'
    response = await _post(api, f"/wallets/{user_id}/deposits", content)
    assert_error(response, 400, "VALIDATION_ERROR")


@pytest.mark.parametrize(
    ("path", "content", "field"),
    [
        ("/wallets", b'{"user_id": "a", "user_id": "b"}', "user_id"),
        ("/wallets/{user}/payments", _payment(again='"currency": "EUR"'), "currency"),
        # Only the escape differs: the same key once decoded.
        ("/wallets/{user}/payments", _payment(again='"\\u0061mount": 2'), "amount"),
        # A colon inside a value must not hide (or fake) a repeat.
        ("/wallets/{user}/deposits", b'{"reference":"a:b","amount":1,"amount":1}', "amount"),
    ],
)
async def test_every_json_route_refuses_repeated_keys(
    api: Api, path: str, content: bytes, field: str
) -> None:
    user_id = await api.funded_wallet(10)
    response = await _post(api, path.format(user=user_id), content)
    assert _errors(response) == [{"in": "body", "field": field, "message": "Duplicate field"}]
    assert await api.balances(user_id) == {"USD": {"available": 10, "pending": 0}}


async def test_a_repeated_key_deep_inside_is_located_by_its_schema_parent(api: Api) -> None:
    user_id = await api.funded_wallet(10)
    nested = f'[{{"k": 1}}, {{"{INJECTED}": 1, "{INJECTED}": 2}}]'
    content = f'{{"currency": "USD", "amount": {nested}}}'.encode()
    response = await _post(api, f"/wallets/{user_id}/deposits", content)
    _refused_without_echo(response, "amount.1", "Duplicate field (not in the schema)")


async def test_a_body_without_repeats_still_works_with_colons_and_escapes(api: Api) -> None:
    user_id = await api.funded_wallet(10)
    content = b'{"amount": 3, "currency": "USD", "reference": "inv:2026:\\u0041"}'
    response = await _post(api, f"/wallets/{user_id}/deposits", content)
    assert response.status_code == 201, response.text
    assert response.json()["reference"] == "inv:2026:A"


@pytest.mark.parametrize("route", ["payments", "deposits"])
async def test_unknown_field_names_are_described_not_echoed(api: Api, route: str) -> None:
    user_id = await api.funded_wallet(10)
    content = (
        _payment(unknown=f'"{INJECTED}": 1')
        if route == "payments"
        else f'{{"amount": 1, "currency": "USD", "{INJECTED}": 1}}'.encode()
    )
    response = await _post(api, f"/wallets/{user_id}/{route}", content)
    _refused_without_echo(response, "", "Unknown field (not in the schema)")


async def test_schema_field_names_are_still_reported(api: Api) -> None:
    user_id = await api.funded_wallet(10)
    response = await _post(
        api, f"/wallets/{user_id}/deposits", b'{"amount": "1", "currency": "USD"}'
    )
    assert [(e["in"], e["field"]) for e in _errors(response)] == [("body", "amount")]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/wallets/"),
        ("POST", "/wallets/"),
        ("GET", "/providers/"),
        ("GET", "/wallets/{user}/balance/"),
        ("POST", "/wallets/{user}/deposits/"),
    ],
)
async def test_trailing_slash_is_404_without_a_redirect(api: Api, method: str, path: str) -> None:
    user_id = await api.create_wallet()
    response = await api.client.request(
        method,
        path.format(user=user_id),
        json={"user_id": new_user_id(), "amount": 1, "currency": "USD"},
        headers={"Host": "evil.example", "Idempotency-Key": new_key()},
    )
    assert_error(response, 404, "NOT_FOUND")
    assert "location" not in response.headers
    assert "evil.example" not in response.text
