"""An unknown outcome end to end through the in-process API: the payment answers 504 and
stays PENDING (funds held) while the gateway cannot tell; the recovery worker the API runs
in its lifespan keeps asking, each time after a longer delay, without taking the
provider's "not decided yet" for a failing gateway (the breaker stays closed, payments
go on), and settles it once the gateway answers: APPROVED, one charge, no refund."""

from __future__ import annotations

from typing import Final

import httpx
from prometheus_client import REGISTRY
from wallet_domain.ports.payment_gateway import PaymentGateway
from wallet_infra.gateway import BreakerState, HttpxPaymentGateway

from mock_gateway import Settings as MockGatewaySettings
from mock_gateway import create_app as create_mock_gateway

from .money_safety_kit import (
    PROVIDER_ID,
    assert_money_invariants,
    eventually,
    in_process_api,
    private_database,
)

REQUEST_TIMEOUT_S: Final = 1.0  # the worker waits for payments older than 2 x this


def _held_lookups() -> float:
    """Gateway lookups in this process the gateway answered with "not decided yet" (it
    still holds the outcome); the API's gateway metrics live on the default registry."""
    found = REGISTRY.get_sample_value(
        "wallet_gateway_calls_total", {"operation": "lookup", "outcome": "pending"}
    )
    return found or 0.0


async def test_the_lifespan_worker_settles_an_unknown_outcome_once_released(
    database_url: str,
) -> None:
    mock = create_mock_gateway(MockGatewaySettings(hang_s=0.2))
    settings = {
        "request_timeout_s": REQUEST_TIMEOUT_S,
        "recovery_enabled": True,
        "recovery_min_age_s": 0.5,
        "recovery_interval_s": 0.2,
        "recovery_lookup_timeout_s": 1.0,
        "recovery_recheck_base_s": 0.3,
        "recovery_recheck_max_s": 0.6,
        "gateway_attempt_timeout_s": 0.1,
        "gateway_retry_budget_s": 0.5,
        "gateway_breaker_failure_threshold": 3,
        "gateway_breaker_recovery_s": 0.5,
    }
    body = {
        "provider_id": PROVIDER_ID,
        "external_reference": "mock:unknown:held",
        "amount": 300,
        "currency": "USD",
    }
    async with (
        private_database(database_url) as dsn,
        in_process_api(dsn, mock, **settings) as (app, client),
    ):
        user_id = "held-1"
        assert (await client.post("/wallets", json={"user_id": user_id})).status_code == 201
        deposit = await client.post(
            f"/wallets/{user_id}/deposits",
            json={"amount": 1_000, "currency": "USD"},
            headers={"Idempotency-Key": "d"},
        )
        assert deposit.status_code == 201
        first = await client.post(
            f"/wallets/{user_id}/payments", json=body, headers={"Idempotency-Key": "p"}
        )
        assert first.status_code == 504, first.text
        error = first.json()["error"]
        assert error["details"]["resolution"] == "pending"
        payment = f"/wallets/{user_id}/payments/{error['details']['payment_id']}"

        adapter = await app.state.dishka_container.get(PaymentGateway)
        assert isinstance(adapter, HttpxPaymentGateway)
        asked_before = _held_lookups()

        async def worker_asked_more_than_the_threshold() -> bool:
            # Past the minimum age the worker asks the gateway, which cannot tell yet.
            return _held_lookups() - asked_before > settings["gateway_breaker_failure_threshold"]

        await eventually(worker_asked_more_than_the_threshold, timeout_s=30, interval_s=0.05)
        assert adapter.breaker_state is BreakerState.CLOSED, "a provider holding a charge works"
        assert (await client.get(payment)).json()["status"] == "PENDING"
        balance = (await client.get(f"/wallets/{user_id}/balance")).json()["balances"]
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

        transport = httpx.ASGITransport(app=mock)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as gateway:
            assert (await gateway.post("/admin/release")).json() == {"released": 1}

            async def settled() -> bool:
                return bool((await client.get(payment)).json()["status"] != "PENDING")

            await eventually(settled, timeout_s=20, interval_s=0.1)
            charges = (await gateway.get("/admin/stats")).json()["charges"]

        assert (await client.get(payment)).json()["status"] == "APPROVED"
        balance = (await client.get(f"/wallets/{user_id}/balance")).json()["balances"]
        assert balance == [
            {
                "currency": "USD",
                "available": 700,
                "pending": 0,
                "pending_debit": 0,
                "pending_credit": 0,
                "total": 700,
            }
        ]
        replay = await client.post(
            f"/wallets/{user_id}/payments", json=body, headers={"Idempotency-Key": "p"}
        )
        assert replay.content == first.content  # the first reply stands
        assert replay.headers["Idempotent-Replayed"] == "true"
        assert await assert_money_invariants(dsn, [user_id], charges) == {"APPROVED": 1}
