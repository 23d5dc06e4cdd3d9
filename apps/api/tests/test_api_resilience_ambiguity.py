"""Timeouts through the API, checked in the ledger and at the gateway: a charge that
timed out after charging is APPROVED and never refunded; one that timed out without a
charge is FAILED and refunded exactly once; retries and replays never charge twice.
(Status codes and balances of these cases: test_api_payments.py; `unknown` and the
recovery worker: test_api_recovery.py and tests/test_money_safety_*.py.)"""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine
from wallet_api_testkit import Api, assert_error, fetch, new_key


async def ledger(engine: AsyncEngine, user_id: str) -> list[tuple[str, str, int, str | None]]:
    """(type, status, signed amount, the payment a refund compensates), oldest first."""
    rows = await fetch(
        engine,
        "SELECT type, status, amount, refund_of::text AS refund_of FROM transactions"
        " WHERE user_id = :u ORDER BY id",
        u=user_id,
    )
    return [(r.type, r.status, r.amount, r.refund_of) for r in rows]


async def gateway_stats(mock: FastAPI, payment_id: str) -> tuple[int, int]:
    """(charge attempts, recorded charges) the mock saw for `payment_id`."""
    transport = httpx.ASGITransport(app=mock)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
        stats = (await client.get("/admin/stats")).json()
    return stats["attempts"].get(payment_id, 0), stats["charges"].get(payment_id, 0)


async def test_charged_then_timed_out_is_approved_with_one_charge_and_no_refund(
    api: Api, engine: AsyncEngine, mock_gateway_app: FastAPI
) -> None:
    user_id = await api.funded_wallet(1_000)
    key = new_key()
    first = await api.pay(user_id, 300, "mock:charged_timeout:b", key=key)
    reply = first.json()
    payment_id = reply.get("id") or reply["error"]["details"]["payment_id"]
    seen = await gateway_stats(mock_gateway_app, payment_id)
    assert first.status_code == 201, (first.text, "gateway (attempts, charges):", seen)
    replay = await api.pay(user_id, 300, "mock:charged_timeout:b", key=key)
    assert replay.content == first.content

    assert await ledger(engine, user_id) == [
        ("DEPOSIT", "COMPLETED", 1_000, None),
        ("PAYMENT", "APPROVED", -300, None),
    ]
    attempts, charges = await gateway_stats(mock_gateway_app, payment_id)
    assert attempts >= 2, "the timeout was retried (same idempotency key)"
    assert charges == 1


async def test_timed_out_without_charge_is_failed_and_refunded_exactly_once(
    api: Api, engine: AsyncEngine, mock_gateway_app: FastAPI
) -> None:
    user_id = await api.funded_wallet(1_000)
    key = new_key()
    first = await api.pay(user_id, 300, "mock:timeout:b", key=key)
    error = assert_error(first, 504, "GATEWAY_TIMEOUT")
    assert error["details"]["resolution"] == "refunded"
    payment_id = error["details"]["payment_id"]
    replay = await api.pay(user_id, 300, "mock:timeout:b", key=key)
    assert replay.content == first.content

    assert await ledger(engine, user_id) == [
        ("DEPOSIT", "COMPLETED", 1_000, None),
        ("PAYMENT", "FAILED", -300, None),
        ("REFUND", "COMPLETED", 300, payment_id),
    ]
    assert await api.balances(user_id) == {"USD": {"available": 1_000, "pending": 0}}
    attempts, charges = await gateway_stats(mock_gateway_app, payment_id)
    assert attempts >= 2
    assert charges == 0
