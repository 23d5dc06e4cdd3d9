"""Completing or reverting a hold or a pending deposit moves the wallet's money, so it
takes If-Match like every other money-moving POST on a wallet: on a stale ETag it is 412
PRECONDITION_FAILED with nothing done and the Idempotency-Key left free; on the current
one it settles."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from wallet_api_testkit import Api, assert_error, new_key, wallet_etag
from wallet_testkit.api import created

SETTLEMENTS = [
    ("holds", "complete"),
    ("holds", "revert"),
    ("deposits", "complete"),
    ("deposits", "revert"),
]


async def _pending(api: Api, user_id: str, kind: str) -> str:
    if kind == "holds":
        made: dict[str, Any] = created(await api.hold(user_id, 300))
    else:
        made = created(await api.deposit(user_id, 300, two_phase=True))
    return str(made["id"])


async def _settle(
    api: Api, user_id: str, kind: str, action: str, item_id: str, headers: dict[str, str]
) -> httpx.Response:
    return await api.client.post(
        f"/wallets/{user_id}/{kind}/{item_id}/{action}",
        json={"amount": 100} if (kind, action) == ("holds", "complete") else None,
        headers=headers,
    )


@pytest.mark.parametrize(("kind", "action"), SETTLEMENTS)
@pytest.mark.parametrize("keyed", [False, True], ids=["no key", "key"])
async def test_settling_on_a_stale_wallet_etag_is_412_and_moves_nothing(
    api: Api, kind: str, action: str, keyed: bool
) -> None:
    user_id = await api.funded_wallet(1_000)
    item_id = await _pending(api, user_id, kind)
    stale = await wallet_etag(api, user_id)
    assert (await api.deposit(user_id, 1)).status_code == 201  # the wallet changed since
    before = await api.client.get(f"/wallets/{user_id}")
    key = {"Idempotency-Key": new_key()} if keyed else {}

    refused = await _settle(api, user_id, kind, action, item_id, {"If-Match": stale, **key})

    assert_error(refused, 412, "PRECONDITION_FAILED")
    assert (await api.client.get(f"/wallets/{user_id}")).json() == before.json()
    # Read again and retry (the same key too, left free): it settles.
    fresh = await wallet_etag(api, user_id)
    settled = await _settle(api, user_id, kind, action, item_id, {"If-Match": fresh, **key})
    assert settled.status_code == 200, settled.text
    assert (await api.client.get(f"/wallets/{user_id}")).json() != before.json()


@pytest.mark.parametrize(("kind", "action"), SETTLEMENTS)
async def test_a_conditional_and_a_plain_settlement_of_one_item_never_deadlock_into_a_500(
    api: Api, kind: str, action: str
) -> None:
    for _ in range(10):
        user_id = await api.funded_wallet(1_000)
        item_id = await _pending(api, user_id, kind)
        etag = await wallet_etag(api, user_id)
        replies = await asyncio.gather(
            _settle(api, user_id, kind, action, item_id, {"If-Match": etag}),
            _settle(api, user_id, kind, action, item_id, {}),
        )
        # One moves it; the other repeats it (200), finds it moved (409) or, conditional,
        # the wallet changed by it (412): never a deadlock's 500.
        assert all(r.status_code in (200, 409, 412) for r in replies), [r.text for r in replies]
        assert any(r.status_code == 200 for r in replies)
