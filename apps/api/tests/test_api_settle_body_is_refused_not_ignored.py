"""The POSTs that take no body (completing or reverting a pending deposit, reverting a
hold, cancelling a dispute) refuse one sent anyway: invalid JSON, or a field they do not
have (such as an `amount` a client hoped would complete only part of a pending deposit)
is 400 VALIDATION_ERROR and moves nothing, as on every other endpoint; no body, `null`
or `{}` is the action itself."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from dispute_kit import approved_payment, opened
from wallet_api_testkit import Api, assert_error, created

# (the path to POST, the wallet whose balances must not move) for a fresh target
Target = Callable[[Api], Awaitable[tuple[str, str]]]


async def _deposit(api: Api, action: str) -> tuple[str, str]:
    user_id = await api.funded_wallet(1_000)
    deposit = created(await api.deposit(user_id, 500, two_phase=True))
    return f"/wallets/{user_id}/deposits/{deposit['id']}/{action}", user_id


async def _complete_deposit(api: Api) -> tuple[str, str]:
    return await _deposit(api, "complete")


async def _revert_deposit(api: Api) -> tuple[str, str]:
    return await _deposit(api, "revert")


async def _revert_hold(api: Api) -> tuple[str, str]:
    user_id = await api.funded_wallet(1_000)
    hold = created(await api.hold(user_id, 100))
    return f"/wallets/{user_id}/holds/{hold['id']}/revert", user_id


async def _cancel_dispute(api: Api) -> tuple[str, str]:
    user_id, payment_id = await approved_payment(api)
    return f"/disputes/{await opened(api, user_id, payment_id)}/cancel", user_id


TARGETS: dict[str, Target] = {
    "complete-deposit": _complete_deposit,
    "revert-deposit": _revert_deposit,
    "revert-hold": _revert_hold,
    "cancel-dispute": _cancel_dispute,
}


async def _wallet(api: Api, user_id: str) -> list[dict[str, object]]:
    response = await api.client.get(f"/wallets/{user_id}")
    assert response.status_code == 200, response.text
    balances: list[dict[str, object]] = response.json()["balances"]
    return balances


@pytest.mark.parametrize("target", TARGETS.values(), ids=TARGETS.keys())
@pytest.mark.parametrize(
    "sent",
    [
        {"json": {"amount": 1}},
        {"json": [1]},
        {"content": b"garbage", "headers": {"Content-Type": "application/json"}},
        {"content": b'{"a": 1, "a": 2}', "headers": {"Content-Type": "application/json"}},
    ],
    ids=["unknown-field", "not-an-object", "not-json", "repeated-key"],
)
async def test_a_body_is_refused_and_nothing_moves(
    api: Api, target: Target, sent: dict[str, Any]
) -> None:
    path, user_id = await target(api)
    before = await _wallet(api, user_id)

    response = await api.client.post(path, **sent)

    assert_error(response, 400, "VALIDATION_ERROR")
    assert await _wallet(api, user_id) == before


@pytest.mark.parametrize("target", TARGETS.values(), ids=TARGETS.keys())
@pytest.mark.parametrize(
    "sent",
    [{}, {"json": {}}, {"content": b"null", "headers": {"Content-Type": "application/json"}}],
    ids=["none", "empty-object", "null"],
)
async def test_no_body_or_an_empty_one_is_the_action(
    api: Api, target: Target, sent: dict[str, Any]
) -> None:
    path, _ = await target(api)

    response = await api.client.post(path, **sent)

    assert response.status_code == 200, response.text
