"""The recovery worker through the real app and PostgreSQL when the provider holds charges:
old payments whose outcome it keeps not knowing are asked about again only after a growing
delay, so a younger payment a crash stranded is still reached and settled; asking about
held charges never opens the circuit breaker that guards payments; and a held payment is
settled once the provider tells its outcome.

Each test runs on a database of its own, so a round's report counts only its payments; the
app's clock is moved forward instead of waiting the delays out."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import timedelta
from typing import Final

import httpx
from prometheus_client import REGISTRY
from wallet_api.ops.payment_recovery import recover_once
from wallet_api_testkit import (
    Api,
    CrashingGatewayProvider,
    ShiftedClock,
    ShiftedClockProvider,
    StartApi,
    assert_error,
    new_key,
)
from wallet_domain.ports.payment_gateway import PaymentGateway
from wallet_domain.use_cases.resolve_pending_payments import ResolvePendingRequest, ResolveReport
from wallet_infra.gateway import BreakerState, HttpxPaymentGateway

from mock_gateway import Settings as MockGatewaySettings
from mock_gateway import create_app as create_mock_gateway

MOCK_HANG_S: Final = 0.3  # as the other API tests' mock: longer than one gateway attempt
HELD: Final = 5  # as many as the production breaker's threshold
# A batch smaller than the held payments, as WALLET_RECOVERY_BATCH (100) is against a
# provider holding a hundred charges or more.
BATCH: Final = ResolvePendingRequest(older_than=timedelta(0), batch=3, lookup_timeout_s=2.0)
INTERVAL: Final = timedelta(seconds=10)  # WALLET_RECOVERY_INTERVAL_S
STILL_PENDING: Final = "wallet_recovery_still_pending"
PRODUCTION: Final = {
    "gateway_breaker_failure_threshold": 5,
    "recovery_recheck_base_s": 30.0,
    "recovery_recheck_max_s": 300.0,
}


async def _strand(start_api: StartApi, database_url: str, mock: object) -> tuple[str, str, str]:
    """`HELD` payments whose charge the provider holds (their lookups answer 503
    `unknown`), then a younger one a crash stranded after its debit (the provider never
    saw it). Returns the wallet, the crashed payment's key and its id."""
    async with start_api(database_url=database_url, mock_app=mock) as api:
        user_id = await api.funded_wallet(100_000)
        for i in range(HELD):
            reply = await api.pay(user_id, 10, f"mock:unknown:held-{i}")
            assert_error(reply, 504, "GATEWAY_TIMEOUT")
        key = new_key()
        async with start_api(
            database_url=database_url, mock_app=mock, extra_providers=(CrashingGatewayProvider(),)
        ) as crashing:
            crashed = await crashing.pay(user_id, 400, "bill-crash", key=key)
        assert_error(crashed, 500, "INTERNAL")
        in_flight = await api.pay(user_id, 400, "bill-crash", key=key)
        assert_error(in_flight, 409, "IDEMPOTENCY_IN_PROGRESS")
        page = await api.client.get(f"/wallets/{user_id}/transactions?type=PAYMENT&limit=1")
        crashed_id: str = page.json()["items"][0]["id"]
    return user_id, key, crashed_id


@asynccontextmanager
async def _recovering(
    start_api: StartApi, database_url: str, mock: object
) -> AsyncIterator[tuple[Api, ShiftedClock]]:
    """The app with production's breaker threshold and recheck delays, and a clock the
    test moves forward."""
    clock = ShiftedClock()
    async with start_api(
        database_url=database_url,
        mock_app=mock,
        extra_providers=(ShiftedClockProvider(clock),),
        **PRODUCTION,
    ) as api:
        yield api, clock


async def _breaker(api: Api) -> BreakerState:
    gateway = await api.app.state.dishka_container.get(PaymentGateway)
    assert isinstance(gateway, HttpxPaymentGateway)
    return gateway.breaker_state


async def test_a_younger_stranded_payment_is_settled_although_older_ones_stay_unknown(
    start_api: StartApi, own_database_url: str
) -> None:
    mock = create_mock_gateway(MockGatewaySettings(hang_s=MOCK_HANG_S))
    user_id, key, crashed_id = await _strand(start_api, own_database_url, mock)
    async with _recovering(start_api, own_database_url, mock) as (api, clock):
        container = api.app.state.dishka_container

        first = await recover_once(container, BATCH)
        clock.advance(INTERVAL)
        second = await recover_once(container, BATCH)

        assert first == ResolveReport(resolved=0, still_pending=3)  # the oldest three
        assert second == ResolveReport(resolved=1, still_pending=2)  # the rest, the crash
        assert REGISTRY.get_sample_value(STILL_PENDING) == HELD
        payment = await api.client.get(f"/wallets/{user_id}/payments/{crashed_id}")
        assert payment.json()["status"] == "FAILED"
        replay = await api.pay(user_id, 400, "bill-crash", key=key)
        assert assert_error(replay, 504, "GATEWAY_TIMEOUT")["details"]["resolution"] == "refunded"
        assert replay.headers["Idempotent-Replayed"] == "true"
        assert await api.balances(user_id) == {"USD": {"available": 99_950, "pending": 50}}


async def test_lookups_of_held_charges_never_open_the_breaker_that_guards_payments(
    start_api: StartApi, own_database_url: str
) -> None:
    mock = create_mock_gateway(MockGatewaySettings(hang_s=MOCK_HANG_S))
    user_id, _, _ = await _strand(start_api, own_database_url, mock)
    async with _recovering(start_api, own_database_url, mock) as (api, clock):
        container = api.app.state.dishka_container
        asked = 0
        for _ in range(3):  # every held payment asked about in each round
            report = await recover_once(container, replace(BATCH, batch=100))
            asked += report.still_pending
            assert await _breaker(api) is BreakerState.CLOSED
            paid = await api.pay(user_id, 1, "bill-ok")
            assert paid.status_code == 201, paid.text
            clock.advance(timedelta(hours=1))  # past every recheck delay

        assert asked == 3 * HELD
        outcomes = REGISTRY.get_sample_value(
            "wallet_gateway_calls_total", {"operation": "lookup", "outcome": "pending"}
        )
        assert outcomes is not None
        assert outcomes >= asked


async def test_a_held_payment_is_asked_again_later_and_settled_once_the_provider_tells(
    start_api: StartApi, own_database_url: str
) -> None:
    mock = create_mock_gateway(MockGatewaySettings(hang_s=MOCK_HANG_S))
    async with start_api(database_url=own_database_url, mock_app=mock) as api:
        user_id = await api.funded_wallet(1_000)
        first = await api.pay(user_id, 300, "mock:unknown:bill", key=new_key())
        payment_id = assert_error(first, 504, "GATEWAY_TIMEOUT")["details"]["payment_id"]
    async with _recovering(start_api, own_database_url, mock) as (api, clock):
        container = api.app.state.dishka_container
        assert await recover_once(container, BATCH) == ResolveReport(resolved=0, still_pending=1)
        transport = httpx.ASGITransport(app=mock)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as gateway:
            assert (await gateway.post("/admin/release")).json() == {"released": 1}

        # Inside its delay the payment is not asked about; the gauge still counts it.
        clock.advance(timedelta(seconds=29))
        assert await recover_once(container, BATCH) == ResolveReport(resolved=0, still_pending=0)
        assert REGISTRY.get_sample_value(STILL_PENDING) == 1
        reply = await api.client.get(f"/wallets/{user_id}/payments/{payment_id}")
        assert reply.json()["status"] == "PENDING"

        clock.advance(timedelta(seconds=1))
        assert await recover_once(container, BATCH) == ResolveReport(resolved=1, still_pending=0)
        assert REGISTRY.get_sample_value(STILL_PENDING) == 0
        reply = await api.client.get(f"/wallets/{user_id}/payments/{payment_id}")
        assert reply.json()["status"] == "APPROVED"  # the provider had charged: no refund
        assert await api.balances(user_id) == {"USD": {"available": 700, "pending": 0}}
