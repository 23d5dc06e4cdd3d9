"""A deposit sent with If-Match and the same request again under the same Idempotency-Key
without it (a client's retry that dropped the header, or two client instances), both in
flight at once: the one that loses gets the first reply or 409 IDEMPOTENCY_IN_PROGRESS,
never a 500. Both copies take the key before the wallet's balance rows (the conditional
one used to lock the rows first: PostgreSQL saw a deadlock and the client a 500)."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from wallet_api_testkit import Api, new_key, wallet_etag


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
