"""Provider credits (`payment.refunded`, a won dispute's CHARGEBACK) to a wallet whose total
is at the int64 ceiling: refused as any credit past the largest amount is (400
VALIDATION_ERROR, field `amount`), nothing moved and nothing stored, so the provider's
retry is applied once the wallet has room; never a raw database error (500)."""

from __future__ import annotations

from typing import Any

import httpx
import orjson
from dispute_kit import Provider, approved_payment, opened
from fastapi import FastAPI
from wallet_api_testkit import Api, assert_error
from webhook_kit import WEBHOOK_PATH, event_body, keyless_client, new_event_id, signed_headers

MAX = 2**63 - 1


async def _fill(api: Api, user_id: str, left: int) -> None:
    """Deposit up to the largest total a wallet may own (`left` is what it holds now)."""
    topped = await api.deposit(user_id, MAX - left)
    assert topped.status_code == 201, topped.text


async def _make_room(api: Api, user_id: str) -> None:
    paid = await api.pay(user_id, 10**18, "room")
    assert paid.status_code == 201, paid.text


async def _balance(api: Api, user_id: str) -> Any:
    return (await api.balances(user_id))["USD"]["available"]


async def _post(client: httpx.AsyncClient, body: bytes) -> httpx.Response:
    event_id = orjson.loads(body)["provider_event_id"]
    return await client.post(WEBHOOK_PATH, content=body, headers=signed_headers(body, event_id))


async def test_a_provider_refund_past_the_ceiling_is_refused_then_applied_on_its_retry(
    api: Api,
) -> None:
    user_id = await api.funded_wallet(1_000)
    paid = await api.pay(user_id, 400)
    assert paid.status_code == 201, paid.text
    await _fill(api, user_id, 600)
    data = {"payment_id": paid.json()["id"], "amount": 150}
    body = event_body("payment.refunded", data, new_event_id())

    async with keyless_client(api.app) as provider:
        refused = await _post(provider, body)
        assert_error(refused, 400, "VALIDATION_ERROR")
        assert await _balance(api, user_id) == MAX
        await _make_room(api, user_id)
        retried = await _post(provider, body)

    assert retried.json() == {"status": "applied"}, retried.text
    assert await _balance(api, user_id) == MAX - 10**18 + 150


async def test_a_won_dispute_past_the_ceiling_is_refused_then_applied_on_its_retry(
    api: Api, mock_gateway_app: FastAPI
) -> None:
    provider = Provider(mock_gateway_app)
    user_id, payment_id = await approved_payment(api, amount=400, funded=1_000)
    dispute_id = await opened(api, user_id, payment_id)
    await _fill(api, user_id, 600)
    bodies = [await provider.move(dispute_id, s) for s in ("under_review", "submitted", "won")]

    async with keyless_client(api.app) as client:
        for body in bodies[:2]:
            assert (await _post(client, body)).status_code == 200
        assert_error(await _post(client, bodies[2]), 400, "VALIDATION_ERROR")
        still = await api.client.get(f"/disputes/{dispute_id}")
        assert still.json()["status"] == "SUBMITTED"  # nothing moved
        await _make_room(api, user_id)
        retried = await _post(client, bodies[2])

    assert retried.json() == {"status": "applied"}, retried.text
    assert await _balance(api, user_id) == MAX - 10**18 + 400
