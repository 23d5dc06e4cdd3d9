"""Holds over HTTP: create, complete (whole or part), revert, get, list; one move each."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine
from wallet_api_testkit import (
    SCOPED_KEY,
    SCOPED_USER,
    Api,
    assert_error,
    new_key,
    outbox_event_types,
    send_twice,
)


async def _wallet(api: Api, user_id: str) -> dict[str, Any]:
    response = await api.client.get(f"/wallets/{user_id}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def _pending_hold(api: Api, *, funded: int, held: int) -> tuple[str, str]:
    """A new wallet funded with `funded` and a pending hold of `held` on it: (user, hold)."""
    user_id = await api.funded_wallet(funded)
    return user_id, (await api.hold(user_id, held)).json()["id"]


async def test_a_hold_is_201_pending_and_moves_available_to_pending_debit(api: Api) -> None:
    user_id = await api.funded_wallet(1_000)

    response = await api.hold(user_id, 300, reference="order-7", expires_in_s=3_600)

    assert response.status_code == 201, response.text
    hold = response.json()
    assert set(hold) == {
        "id",
        "status",
        "amount",
        "currency",
        "captured",
        "released",
        "reference",
        "expires_at",
        "created_at",
        "updated_at",
    }
    assert (hold["status"], hold["amount"], hold["captured"], hold["released"]) == (
        "PENDING",
        300,
        None,
        0,
    )
    wallet = await _wallet(api, user_id)
    assert wallet["user_id"] == user_id
    assert wallet["balances"] == [
        {
            "currency": "USD",
            "available": 700,
            "pending_debit": 300,
            "pending_credit": 0,
            "total": 1_000,
        }
    ]
    balance = (await api.client.get(f"/wallets/{user_id}/balance")).json()["balances"]
    assert balance == [
        {
            "currency": "USD",
            "available": 700,
            "pending": 300,
            "pending_debit": 300,
            "pending_credit": 0,
            "total": 1_000,
        }
    ]
    got = await api.client.get(f"/wallets/{user_id}/holds/{hold['id']}")
    assert got.json() == hold
    history = await api.client.get(f"/wallets/{user_id}/transactions", params={"type": "HOLD"})
    [entry] = history.json()["items"]
    assert (entry["status"], entry["amount"], entry["hold_id"]) == ("COMPLETED", 300, hold["id"])


async def test_a_hold_the_balance_does_not_cover_is_409_insufficient_funds(api: Api) -> None:
    user_id = await api.funded_wallet(100)
    assert_error(await api.hold(user_id, 101), 409, "INSUFFICIENT_FUNDS")
    assert await api.balances(user_id) == {"USD": {"available": 100, "pending": 0}}


async def test_create_replays_with_the_same_key(api: Api) -> None:
    user_id = await api.funded_wallet(1_000)
    key = new_key()
    await send_twice(lambda: api.hold(user_id, 100, key=key), 201)
    assert await api.balances(user_id) == {"USD": {"available": 900, "pending": 100}}


async def test_expiry_beyond_30_days_is_400(api: Api) -> None:
    user_id = await api.funded_wallet(1_000)
    error = assert_error(
        await api.hold(user_id, 1, expires_in_s=30 * 86_400 + 1), 400, "VALIDATION_ERROR"
    )
    assert error["details"]["field"] == "expires_in_s"


async def test_partial_complete_releases_the_rest_and_a_repeat_is_200(
    api: Api, engine: AsyncEngine
) -> None:
    user_id, hold_id = await _pending_hold(api, funded=1_000, held=300)
    url = f"/wallets/{user_id}/holds/{hold_id}"

    done = await api.client.post(f"{url}/complete", json={"amount": 120})
    again = await api.client.post(f"{url}/complete", json={"amount": 120})

    assert done.status_code == again.status_code == 200
    assert again.json() == done.json()
    assert (done.json()["status"], done.json()["captured"], done.json()["released"]) == (
        "COMPLETED",
        120,
        180,
    )
    assert await api.balances(user_id) == {"USD": {"available": 880, "pending": 0}}
    error = assert_error(await api.client.post(f"{url}/revert"), 409, "INVALID_STATE")
    assert error["details"] == {"status": "COMPLETED"}
    other = assert_error(await api.client.post(f"{url}/complete"), 409, "INVALID_STATE")
    assert other["details"] == {"status": "COMPLETED"}
    assert await outbox_event_types(engine, hold_id) == ["hold.created", "hold.completed"]


async def test_complete_without_a_body_captures_everything(api: Api) -> None:
    user_id, hold_id = await _pending_hold(api, funded=1_000, held=300)
    done = await api.client.post(f"/wallets/{user_id}/holds/{hold_id}/complete")
    assert (done.status_code, done.json()["captured"]) == (200, 300)
    assert await api.balances(user_id) == {"USD": {"available": 700, "pending": 0}}


async def test_capturing_more_than_held_is_400_and_moves_nothing(api: Api) -> None:
    user_id, hold_id = await _pending_hold(api, funded=1_000, held=300)
    response = await api.client.post(
        f"/wallets/{user_id}/holds/{hold_id}/complete", json={"amount": 301}
    )
    assert_error(response, 400, "VALIDATION_ERROR")
    got = await api.client.get(f"/wallets/{user_id}/holds/{hold_id}")
    assert got.json()["status"] == "PENDING"


async def test_revert_releases_everything_and_replays_with_a_key(api: Api) -> None:
    user_id, hold_id = await _pending_hold(api, funded=1_000, held=300)
    url, key = f"/wallets/{user_id}/holds/{hold_id}/revert", new_key()

    first = await send_twice(lambda: api.client.post(url, headers={"Idempotency-Key": key}), 200)

    assert first.json()["status"] == "REVERTED"
    assert await api.balances(user_id) == {"USD": {"available": 1_000, "pending": 0}}


async def test_unknown_or_another_wallets_hold_is_404(api: Api) -> None:
    owner = await api.funded_wallet(1_000)
    other = await api.funded_wallet(1_000)
    hold_id = (await api.hold(owner, 300)).json()["id"]

    for method, path in (
        ("GET", f"/wallets/{other}/holds/{hold_id}"),
        ("POST", f"/wallets/{other}/holds/{hold_id}/complete"),
        ("POST", f"/wallets/{other}/holds/{hold_id}/revert"),
        ("GET", f"/wallets/{owner}/holds/{uuid.uuid4()}"),
    ):
        assert_error(await api.client.request(method, path), 404, "NOT_FOUND")
    scoped = await api.client.post(
        f"/wallets/{owner}/holds/{hold_id}/revert", headers={"X-API-Key": SCOPED_KEY}
    )
    assert_error(scoped, 404, "NOT_FOUND")
    if (await api.client.get(f"/wallets/{SCOPED_USER}")).status_code == 404:
        await api.create_wallet(SCOPED_USER)
    mine = await api.client.post(
        f"/wallets/{SCOPED_USER}/holds/{hold_id}/revert", headers={"X-API-Key": SCOPED_KEY}
    )
    assert_error(mine, 404, "NOT_FOUND")
    assert await api.balances(owner) == {"USD": {"available": 700, "pending": 300}}


async def test_holds_list_newest_first_filtered_by_status_in_pages(api: Api) -> None:
    user_id = await api.funded_wallet(1_000)
    ids = [(await api.hold(user_id, 10)).json()["id"] for _ in range(3)]
    await api.client.post(f"/wallets/{user_id}/holds/{ids[1]}/revert")

    first = (await api.client.get(f"/wallets/{user_id}/holds", params={"limit": 2})).json()
    rest = (
        await api.client.get(
            f"/wallets/{user_id}/holds", params={"limit": 2, "cursor": first["next_cursor"]}
        )
    ).json()
    pending = (
        await api.client.get(f"/wallets/{user_id}/holds", params={"status": "PENDING"})
    ).json()

    assert [h["id"] for h in first["items"] + rest["items"]] == ids[::-1]
    assert rest["next_cursor"] is None
    assert [h["id"] for h in pending["items"]] == [ids[2], ids[0]]
    bad = await api.client.get(f"/wallets/{user_id}/holds", params={"status": "NOPE"})
    assert_error(bad, 400, "VALIDATION_ERROR")


async def test_50_parallel_settlements_of_one_hold_have_one_winner(
    api: Api, engine: AsyncEngine
) -> None:
    user_id, hold_id = await _pending_hold(api, funded=1_000, held=100)
    url = f"/wallets/{user_id}/holds/{hold_id}"
    # 49 completes of different amounts and one revert: no two ask for the same outcome,
    # so exactly one can answer 200.
    requests = [api.client.post(f"{url}/complete", json={"amount": n}) for n in range(1, 50)]
    requests.append(api.client.post(f"{url}/revert"))

    responses = await asyncio.gather(*requests)

    statuses = Counter(r.status_code for r in responses)
    assert statuses == {200: 1, 409: 49}, statuses
    [winner] = [r.json() for r in responses if r.status_code == 200]
    for response in responses:
        if response.status_code == 409:
            error = assert_error(response, 409, "INVALID_STATE")
            assert error["details"] == {"status": winner["status"]}
    held_back = 100 - (winner["captured"] or 0)
    assert await api.balances(user_id) == {"USD": {"available": 900 + held_back, "pending": 0}}
    assert len(await outbox_event_types(engine, hold_id)) == 2


async def test_100_parallel_holds_take_exactly_what_the_balance_covers(api: Api) -> None:
    funds, amount = 1_000, 70
    user_id = await api.funded_wallet(funds)

    responses = await asyncio.gather(*(api.hold(user_id, amount) for _ in range(100)))

    held = funds // amount
    assert Counter(r.status_code for r in responses) == {201: held, 409: 100 - held}
    for response in responses:
        if response.status_code == 409:
            assert_error(response, 409, "INSUFFICIENT_FUNDS")
    assert await api.balances(user_id) == {
        "USD": {"available": funds - held * amount, "pending": held * amount}
    }


async def test_20_concurrent_creates_with_one_key_hold_once(api: Api) -> None:
    user_id = await api.funded_wallet(1_000)
    key = new_key()
    responses = await asyncio.gather(*(api.hold(user_id, 100, key=key) for _ in range(20)))

    created = [r for r in responses if r.status_code == 201]
    originals = [r for r in created if "Idempotent-Replayed" not in r.headers]
    assert len(originals) == 1, [(r.status_code, r.text) for r in responses]
    assert all(r.content == originals[0].content for r in created)
    for response in responses:
        if response.status_code != 201:
            assert_error(response, 409, "IDEMPOTENCY_IN_PROGRESS")
    assert await api.balances(user_id) == {"USD": {"available": 900, "pending": 100}}
