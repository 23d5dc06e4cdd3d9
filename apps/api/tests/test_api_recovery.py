"""The recovery worker through the real app: payments left PENDING are resolved by
asking the gateway, once, and their idempotency records get the final reply.

Each test runs on a database of its own, so a round's report counts only its payments."""

from __future__ import annotations

from datetime import timedelta
from typing import Final

import httpx
from prometheus_client import REGISTRY
from wallet_api.ops.payment_recovery import recover_once
from wallet_api.ops.recovery_window import recovery_request
from wallet_api_testkit import (
    CrashingGatewayProvider,
    ShiftedClock,
    ShiftedClockProvider,
    StartApi,
    assert_error,
    new_key,
)
from wallet_domain.use_cases.resolve_pending_payments import ResolvePendingRequest
from wallet_infra.config.settings import Settings
from wallet_testkit.db import fetch

from mock_gateway import Settings as MockGatewaySettings
from mock_gateway import create_app as create_mock_gateway

MOCK_HANG_S: Final = 0.3  # as the other API tests' mock: longer than one gateway attempt
STILL_PENDING: Final = "wallet_recovery_still_pending"
RESOLVE_NOW: Final = ResolvePendingRequest(
    older_than=timedelta(0), batch=1000, lookup_timeout_s=2.0
)


async def _ledger_matches_balance(database_url: str, user_id: str) -> None:
    [row] = await fetch(
        database_url,
        "SELECT (SELECT balance FROM wallet_balances WHERE user_id = $1) AS balance,"
        " (SELECT sum(amount) FROM transactions WHERE user_id = $1) AS ledger",
        user_id,
    )
    assert row["balance"] == row["ledger"]


async def test_unknown_outcome_is_resolved_by_the_worker_once(
    start_api: StartApi, own_database_url: str
) -> None:
    mock = create_mock_gateway(MockGatewaySettings(hang_s=MOCK_HANG_S))
    clock = ShiftedClock()
    async with start_api(
        database_url=own_database_url, mock_app=mock, extra_providers=(ShiftedClockProvider(clock),)
    ) as api:
        user_id = await api.funded_wallet(1000)
        key = new_key()
        first = await api.pay(user_id, 300, "mock:unknown:bill", key=key)
        payment_id = assert_error(first, 504, "GATEWAY_TIMEOUT")["details"]["payment_id"]
        container = api.app.state.dishka_container

        # The gateway still cannot tell: the payment stays PENDING, funds stay held.
        report = await recover_once(container, RESOLVE_NOW)
        assert (report.resolved, report.still_pending) == (0, 1)
        assert REGISTRY.get_sample_value(STILL_PENDING) == 1  # alert PendingPaymentsStuck
        assert await api.balances(user_id) == {"USD": {"available": 700, "pending": 300}}

        transport = httpx.ASGITransport(app=mock)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as gateway:
            assert (await gateway.post("/admin/release")).json() == {"released": 1}
            clock.advance(timedelta(minutes=1))  # past its recheck delay: asked again
            report = await recover_once(container, RESOLVE_NOW)
            assert (report.resolved, report.still_pending) == (1, 0)
            assert REGISTRY.get_sample_value(STILL_PENDING) == 0
            charges = (await gateway.get("/admin/stats")).json()["charges"]
        assert charges == {payment_id: 1}

        payment = (await api.client.get(f"/wallets/{user_id}/payments/{payment_id}")).json()
        assert payment["status"] == "APPROVED"  # the mock had charged: no refund
        assert await api.balances(user_id) == {"USD": {"available": 700, "pending": 0}}
        report = await recover_once(container, RESOLVE_NOW)  # nothing left to do
        assert (report.resolved, report.still_pending) == (0, 0)
        assert (await api.client.get(f"/wallets/{user_id}/payments/{payment_id}")).json() == (
            payment
        )
        # The key's reply was given once and never changes.
        replay = await api.pay(user_id, 300, "mock:unknown:bill", key=key)
        assert replay.content == first.content
    await _ledger_matches_balance(own_database_url, user_id)


async def test_a_crash_after_the_debit_is_refunded_by_the_worker(
    start_api: StartApi, own_database_url: str
) -> None:
    async with start_api(database_url=own_database_url) as api:
        user_id = await api.funded_wallet(1000)
        key = new_key()
        async with start_api(
            database_url=own_database_url, extra_providers=(CrashingGatewayProvider(),)
        ) as crashing:
            crashed = await crashing.pay(user_id, 400, "bill-crash", key=key)
        assert_error(crashed, 500, "INTERNAL")
        assert await api.balances(user_id) == {"USD": {"available": 600, "pending": 400}}
        in_flight = await api.pay(user_id, 400, "bill-crash", key=key)
        assert_error(in_flight, 409, "IDEMPOTENCY_IN_PROGRESS")

        # The gateway never saw the charge: a definite no, so FAILED and refunded exactly
        # once: the second round finds nothing left.
        container = api.app.state.dishka_container
        report = await recover_once(container, RESOLVE_NOW)
        assert (report.resolved, report.still_pending) == (1, 0)
        report = await recover_once(container, RESOLVE_NOW)
        assert (report.resolved, report.still_pending) == (0, 0)

        assert await api.balances(user_id) == {"USD": {"available": 1000, "pending": 0}}
        replay = await api.pay(user_id, 400, "bill-crash", key=key)
        error = assert_error(replay, 504, "GATEWAY_TIMEOUT")
        assert error["details"]["resolution"] == "refunded"
        assert replay.headers["Idempotent-Replayed"] == "true"
    rows = await fetch(
        own_database_url,
        "SELECT type, status, amount FROM transactions WHERE user_id = $1 ORDER BY id",
        user_id,
    )
    assert [tuple(r) for r in rows] == [
        ("DEPOSIT", "COMPLETED", 1000),
        ("PAYMENT", "FAILED", -400),
        ("REFUND", "COMPLETED", 400),
    ]
    await _ledger_matches_balance(own_database_url, user_id)


def test_the_worker_never_touches_a_payment_younger_than_twice_the_deadline() -> None:
    settings = Settings.model_validate({"recovery_min_age_s": 1, "request_timeout_s": 10})
    assert recovery_request(settings).older_than == timedelta(seconds=20)
