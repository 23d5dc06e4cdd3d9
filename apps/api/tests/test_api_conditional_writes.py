"""If-Match on a wallet's money-moving writes: a client's optimistic lock. A wallet that
changed since the ETag was read is 412 PRECONDITION_FAILED with nothing written and the
Idempotency-Key left unused; of two clients writing on the same ETag exactly one wins."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, Final

import httpx
import pytest
from wallet_api_testkit import PROVIDER_ID, Api, assert_error, new_key, wallet_etag

Write = Callable[[Api, str, str, dict[str, str]], Awaitable[httpx.Response]]


async def _pay(api: Api, user_id: str, key: str, headers: dict[str, str]) -> httpx.Response:
    body = {
        "provider_id": PROVIDER_ID,
        "external_reference": "bill",
        "amount": 100,
        "currency": "USD",
    }
    return await api.client.post(
        f"/wallets/{user_id}/payments", json=body, headers={"Idempotency-Key": key, **headers}
    )


async def _deposit(api: Api, user_id: str, key: str, headers: dict[str, str]) -> httpx.Response:
    return await api.client.post(
        f"/wallets/{user_id}/deposits",
        json={"amount": 100, "currency": "USD"},
        headers={"Idempotency-Key": key, **headers},
    )


async def _pending_deposit(
    api: Api, user_id: str, key: str, headers: dict[str, str]
) -> httpx.Response:
    return await api.client.post(
        f"/wallets/{user_id}/deposits",
        json={"amount": 100, "currency": "EUR", "two_phase": True},
        headers={"Idempotency-Key": key, **headers},
    )


async def _hold(api: Api, user_id: str, key: str, headers: dict[str, str]) -> httpx.Response:
    return await api.client.post(
        f"/wallets/{user_id}/holds",
        json={"amount": 100, "currency": "USD"},
        headers={"Idempotency-Key": key, **headers},
    )


async def _transfer(api: Api, user_id: str, key: str, headers: dict[str, str]) -> httpx.Response:
    receiver = await api.create_wallet()
    return await api.client.post(
        "/transfers",
        json={"from_user_id": user_id, "to_user_id": receiver, "amount": 100, "currency": "USD"},
        headers={"Idempotency-Key": key, **headers},
    )


WRITES: Final[dict[str, Write]] = {
    "payment": _pay,
    "deposit": _deposit,
    "pending deposit": _pending_deposit,
    "hold": _hold,
    "transfer": _transfer,
}


async def _state(api: Api, user_id: str) -> tuple[str, Any]:
    response = await api.client.get(f"/wallets/{user_id}")
    return response.headers["ETag"], response.json()["balances"]


@pytest.mark.parametrize("write", sorted(WRITES))
async def test_a_stale_etag_writes_nothing_and_leaves_the_key_unused(api: Api, write: str) -> None:
    user_id, key = await api.funded_wallet(1_000), new_key()
    stale = await wallet_etag(api, user_id)
    assert (await api.deposit(user_id, 1)).status_code == 201  # someone else's change
    before = await _state(api, user_id)

    refused = await WRITES[write](api, user_id, key, {"If-Match": stale})

    assert_error(refused, 412, "PRECONDITION_FAILED")
    assert await _state(api, user_id) == before
    fresh = before[0]
    retried = await WRITES[write](api, user_id, key, {"If-Match": fresh})
    assert retried.status_code == 201, retried.text
    assert "Idempotent-Replayed" not in retried.headers
    assert (await _state(api, user_id))[0] != fresh


@pytest.mark.parametrize("write", sorted(WRITES))
async def test_the_current_etag_or_a_star_lets_the_write_through(api: Api, write: str) -> None:
    user_id = await api.funded_wallet(1_000)
    current = await wallet_etag(api, user_id)
    listed = f'"v0", W/{current}, {current}'  # a weak tag never matches; the strong one does
    assert (await WRITES[write](api, user_id, new_key(), {"If-Match": listed})).status_code == 201
    assert (await WRITES[write](api, user_id, new_key(), {"If-Match": "*"})).status_code == 201


@pytest.mark.parametrize("if_match", ['W/"v1"', '"1"', '"x"'])
async def test_tags_that_are_no_current_wallet_version_never_match(api: Api, if_match: str) -> None:
    user_id = await api.funded_wallet(1_000)
    assert await wallet_etag(api, user_id) == '"v1"'
    refused = await _pay(api, user_id, new_key(), {"If-Match": if_match})
    assert_error(refused, 412, "PRECONDITION_FAILED")


@pytest.mark.parametrize("if_match", ["v1", '"v1', '"v1" "v2"', "", " , "])
async def test_a_malformed_if_match_is_a_validation_error(api: Api, if_match: str) -> None:
    user_id, key = await api.funded_wallet(1_000), new_key()
    refused = await _pay(api, user_id, key, {"If-Match": if_match})
    error = assert_error(refused, 400, "VALIDATION_ERROR")
    assert error["details"] == {"field": "If-Match"}
    assert (await _pay(api, user_id, key, {})).status_code == 201  # the key is still free


async def test_a_replay_answers_with_the_first_reply_even_on_a_stale_etag(api: Api) -> None:
    """The first request itself changed the wallet: its retry must not read as a refusal."""
    user_id, key = await api.funded_wallet(1_000), new_key()
    etag = await wallet_etag(api, user_id)
    first = await _pay(api, user_id, key, {"If-Match": etag})
    assert first.status_code == 201

    again = await _pay(api, user_id, key, {"If-Match": etag})

    assert again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.content == first.content
    assert (await api.balances(user_id))["USD"]["available"] == 900


async def test_an_unknown_wallet_is_404_whatever_if_match_says(api: Api) -> None:
    user_id = await api.funded_wallet(0)
    other = f"{user_id}-gone"
    assert_error(await _pay(api, other, new_key(), {"If-Match": '"v0"'}), 404, "NOT_FOUND")


@pytest.mark.parametrize(
    ("first", "second"), [("payment", "payment"), ("payment", "hold"), ("hold", "transfer")]
)
async def test_two_clients_on_the_same_etag_exactly_one_wins(
    api: Api, first: str, second: str
) -> None:
    """Read-modify-write: both read the wallet, both write on what they read."""
    user_id = await api.funded_wallet(1_000)
    etag = await wallet_etag(api, user_id)
    keys = new_key(), new_key()

    responses = await asyncio.gather(
        WRITES[first](api, user_id, keys[0], {"If-Match": etag}),
        WRITES[second](api, user_id, keys[1], {"If-Match": etag}),
    )

    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201, 412], [r.text for r in responses]
    assert (await api.balances(user_id))["USD"]["available"] == 900  # one write of 100
    loser = 0 if responses[0].status_code == 412 else 1
    fresh = await wallet_etag(api, user_id)
    retry = await WRITES[(first, second)[loser]](api, user_id, keys[loser], {"If-Match": fresh})
    assert retry.status_code == 201, retry.text


async def test_writes_in_two_currencies_on_one_etag_still_exclude_each_other(api: Api) -> None:
    """The ETag covers the whole wallet: a payment in USD and a deposit in a currency the
    wallet has never held touch no common balance row, and still only one goes through."""
    for _ in range(20):
        user_id = await api.funded_wallet(1_000)
        etag = await wallet_etag(api, user_id)
        responses = await asyncio.gather(
            _pay(api, user_id, new_key(), {"If-Match": etag}),
            _pending_deposit(api, user_id, new_key(), {"If-Match": etag}),
        )
        assert sorted(r.status_code for r in responses) == [201, 412]


async def test_many_clients_on_one_etag_one_winner_per_round(api: Api) -> None:
    user_id, rounds, clients = await api.funded_wallet(10_000), 5, 6
    for _ in range(rounds):
        etag = await wallet_etag(api, user_id)
        responses = await asyncio.gather(
            *(_pay(api, user_id, new_key(), {"If-Match": etag}) for _ in range(clients))
        )
        assert sorted(r.status_code for r in responses) == [201] + [412] * (clients - 1)
    spent = 100 * rounds
    assert (await api.balances(user_id))["USD"] == {"available": 10_000 - spent, "pending": 0}


async def test_conditional_opposite_transfers_never_deadlock(api: Api) -> None:
    alice, bob = await api.funded_wallet(10_000), await api.funded_wallet(10_000)

    async def send(sender: str, receiver: str) -> httpx.Response:
        return await api.client.post(
            "/transfers",
            json={"from_user_id": sender, "to_user_id": receiver, "amount": 1, "currency": "USD"},
            headers={"Idempotency-Key": new_key(), "If-Match": "*"},
        )

    responses = await asyncio.gather(
        *(send(alice, bob) if i % 2 else send(bob, alice) for i in range(40))
    )
    assert {r.status_code for r in responses} == {201}, {r.text for r in responses}
    assert (await api.balances(alice))["USD"]["available"] == 10_000
