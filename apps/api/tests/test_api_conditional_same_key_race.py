"""A deposit sent with If-Match and the same request again under the same Idempotency-Key
without it (a client's retry that dropped the header, or two client instances), both in
flight at once: the one that loses gets the first reply or 409 IDEMPOTENCY_IN_PROGRESS,
never a 500. Both copies take the key before the wallet's balance rows (the conditional
one used to lock the rows first: PostgreSQL saw a deadlock and the client a 500)."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from wallet_api_testkit import PROVIDER_ID, Api, new_key, wallet_etag


async def _deposit(
    api: Api, user_id: str, key: str, two_phase: bool, headers: dict[str, str]
) -> httpx.Response:
    body: dict[str, object] = {"amount": 100, "currency": "USD"}
    if two_phase:
        body["two_phase"] = True
    return await api.client.post(
        f"/wallets/{user_id}/deposits", json=body, headers={"Idempotency-Key": key, **headers}
    )


@pytest.mark.parametrize("two_phase", [False, True], ids=["deposit", "pending deposit"])
async def test_same_key_deposit_with_and_without_if_match_in_flight_is_never_a_500(
    api: Api, two_phase: bool
) -> None:
    for _ in range(20):
        user_id, key = await api.funded_wallet(1_000), new_key()
        etag = await wallet_etag(api, user_id)
        responses = await asyncio.gather(
            _deposit(api, user_id, key, two_phase, {"If-Match": etag}),
            _deposit(api, user_id, key, two_phase, {}),
        )
        assert all(r.status_code in (201, 409) for r in responses), [
            (r.status_code, r.text) for r in responses
        ]


async def _conditional(api: Api, write: str, user_id: str, key: str, etag: str) -> httpx.Response:
    headers = {"Idempotency-Key": key, "If-Match": etag}
    body: dict[str, object] = {"amount": 100, "currency": "USD"}
    if write == "payment":
        body |= {"provider_id": PROVIDER_ID, "external_reference": "bill"}
    path = {"deposit": "deposits", "hold": "holds", "payment": "payments"}[write]
    return await api.client.post(f"/wallets/{user_id}/{path}", json=body, headers=headers)


@pytest.mark.parametrize("other", ["hold", "payment"])
async def test_one_key_on_a_conditional_deposit_and_another_conditional_write_is_never_a_500(
    api: Api, other: str
) -> None:
    """The deposit takes the key, then the wallet; a hold or payment the wallet, then the
    key: PostgreSQL breaks the deadlock, and the write it stops is "in flight" (409)."""
    for _ in range(5):
        user_id, key = await api.funded_wallet(1_000), new_key()
        etag = await wallet_etag(api, user_id)
        replies = await asyncio.gather(
            _conditional(api, "deposit", user_id, key, etag),
            _conditional(api, other, user_id, key, etag),
        )
        statuses = sorted(r.status_code for r in replies)
        # One writes (201); the other is in flight (409), reused (422) or stale (412).
        assert statuses[0] == 201, [r.text for r in replies]
        assert statuses[1] in (409, 412, 422), [r.text for r in replies]


@pytest.mark.parametrize("settlement", ["holds/revert", "deposits/complete"])
async def test_one_key_on_a_plain_settlement_and_a_conditional_hold_is_never_a_500(
    api: Api, settlement: str
) -> None:
    """The keyed settlement takes the key, then (its statement) the balance row; the
    conditional hold the wallet's rows, then the key: the one PostgreSQL stops is 409."""
    kind, action = settlement.split("/")
    for _ in range(8):
        user_id = await api.funded_wallet(1_000)
        pending = await (
            api.hold(user_id, 300) if kind == "holds" else api.deposit(user_id, 300, two_phase=True)
        )
        assert pending.status_code == 201, pending.text
        etag, key = await wallet_etag(api, user_id), new_key()
        replies = await asyncio.gather(
            api.client.post(
                f"/wallets/{user_id}/{kind}/{pending.json()['id']}/{action}",
                headers={"Idempotency-Key": key},
            ),
            _conditional(api, "hold", user_id, key, etag),
        )
        assert all(r.status_code < 500 for r in replies), [r.text for r in replies]
