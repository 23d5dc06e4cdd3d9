"""The recovery worker through the real app: payments left PENDING are resolved by
asking the gateway, once, and their idempotency records get the final reply."""

from __future__ import annotations

from datetime import timedelta
from typing import Final

import httpx
from fastapi import FastAPI
from prometheus_client import REGISTRY
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from wallet_api.ops.payment_recovery import recover_once, recovery_request
from wallet_api_testkit import Api, CrashingGatewayProvider, StartApi, assert_error, new_key
from wallet_domain.use_cases.resolve_pending_payments import ResolvePendingRequest
from wallet_infra.config.settings import Settings

STILL_PENDING: Final = "wallet_recovery_still_pending"
RESOLVE_NOW: Final = ResolvePendingRequest(
    older_than=timedelta(0), batch=1000, lookup_timeout_s=2.0
)


async def _ledger_matches_balance(engine: AsyncEngine, user_id: str) -> None:
    async with engine.connect() as conn:
        balance = await conn.scalar(
            text("SELECT balance FROM wallet_balances WHERE user_id = :u"), {"u": user_id}
        )
        ledger = await conn.scalar(
            text("SELECT sum(amount) FROM transactions WHERE user_id = :u"), {"u": user_id}
        )
    assert balance == ledger


async def test_unknown_outcome_is_resolved_by_the_worker_once(
    api: Api, mock_gateway_app: FastAPI, engine: AsyncEngine
) -> None:
    user_id = await api.funded_wallet(1000)
    key = new_key()
    first = await api.pay(user_id, 300, "mock:unknown:bill", key=key)
    payment_id = assert_error(first, 504, "GATEWAY_TIMEOUT")["details"]["payment_id"]
    container = api.app.state.dishka_container

    # The gateway still cannot tell: the payment stays PENDING, funds stay held.
    report = await recover_once(container, RESOLVE_NOW)
    assert report.still_pending >= 1
    assert (
        REGISTRY.get_sample_value("wallet_recovery_still_pending") == report.still_pending
    )  # alert PendingPaymentsStuck
    assert await api.balances(user_id) == {"USD": {"available": 700, "pending": 300}}

    transport = httpx.ASGITransport(app=mock_gateway_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as gateway:
        assert (await gateway.post("/admin/release")).status_code < 300
    report = await recover_once(container, RESOLVE_NOW)
    assert report.resolved >= 1
    assert REGISTRY.get_sample_value(STILL_PENDING) == report.still_pending

    payment = (await api.client.get(f"/wallets/{user_id}/payments/{payment_id}")).json()
    assert payment["status"] == "APPROVED"  # the mock had charged: no refund
    assert await api.balances(user_id) == {"USD": {"available": 700, "pending": 0}}
    await recover_once(container, RESOLVE_NOW)  # nothing left to do for it
    assert (await api.client.get(f"/wallets/{user_id}/payments/{payment_id}")).json() == payment
    # The key's reply was given once and never changes.
    replay = await api.pay(user_id, 300, "mock:unknown:bill", key=key)
    assert replay.content == first.content
    await _ledger_matches_balance(engine, user_id)


async def test_a_crash_after_the_debit_is_refunded_by_the_worker(
    api: Api, start_api: StartApi, engine: AsyncEngine
) -> None:
    user_id = await api.funded_wallet(1000)
    key = new_key()
    async with start_api(extra_providers=(CrashingGatewayProvider(),)) as crashing:
        crashed = await crashing.pay(user_id, 400, "bill-crash", key=key)
    assert_error(crashed, 500, "INTERNAL")
    assert await api.balances(user_id) == {"USD": {"available": 600, "pending": 400}}
    assert_error(await api.pay(user_id, 400, "bill-crash", key=key), 409, "IDEMPOTENCY_IN_PROGRESS")

    # The gateway never saw the charge: a definite no, so FAILED and refunded exactly once.
    await recover_once(api.app.state.dishka_container, RESOLVE_NOW)
    await recover_once(api.app.state.dishka_container, RESOLVE_NOW)

    assert await api.balances(user_id) == {"USD": {"available": 1000, "pending": 0}}
    replay = await api.pay(user_id, 400, "bill-crash", key=key)
    error = assert_error(replay, 504, "GATEWAY_TIMEOUT")
    assert error["details"]["resolution"] == "refunded"
    assert replay.headers["Idempotent-Replayed"] == "true"
    async with engine.connect() as conn:
        rows = (
            await conn.execute(
                text(
                    "SELECT type, status, amount FROM transactions WHERE user_id = :u ORDER BY id"
                ),
                {"u": user_id},
            )
        ).all()
    assert [tuple(r) for r in rows] == [
        ("DEPOSIT", "COMPLETED", 1000),
        ("PAYMENT", "FAILED", -400),
        ("REFUND", "COMPLETED", 400),
    ]
    await _ledger_matches_balance(engine, user_id)


def test_the_worker_never_touches_a_payment_younger_than_twice_the_deadline() -> None:
    settings = Settings.model_validate({"recovery_min_age_s": 1, "request_timeout_s": 10})
    assert recovery_request(settings).older_than == timedelta(seconds=20)
