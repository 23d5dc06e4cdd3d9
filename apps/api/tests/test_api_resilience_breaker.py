"""The circuit breaker through the API: it opens at the threshold; while open a
payment is refused at once with 503 + Retry-After, calling nothing, debiting nothing and
keeping its key; after the recovery period one probe goes through and closes it."""

from __future__ import annotations

import asyncio
from typing import Any, Final

import httpx
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from wallet_api_testkit import Api, MockGatewayClientProvider, StartApi, assert_error, new_key
from wallet_domain.ports.payment_gateway import PaymentGateway
from wallet_infra.gateway import BreakerState, HttpxPaymentGateway
from wallet_testkit.polling import eventually

from mock_gateway import Settings as MockGatewaySettings
from mock_gateway import create_app as create_mock_gateway

THRESHOLD: Final = 3
RECOVERY_S: Final = 1.0
BREAKER: Final[dict[str, Any]] = {
    "gateway_breaker_failure_threshold": THRESHOLD,
    "gateway_breaker_recovery_s": RECOVERY_S,
    "gateway_attempt_timeout_s": 1.0,  # room for the mock's latency mode (probe test)
}


async def gateway_of(api: Api) -> HttpxPaymentGateway:
    adapter = await api.app.state.dishka_container.get(PaymentGateway)
    assert isinstance(adapter, HttpxPaymentGateway)
    return adapter


async def until_half_open(gateway: HttpxPaymentGateway) -> None:
    """Until the recovery period is over: the breaker lets one probe through."""

    async def half_open() -> bool:
        return gateway.breaker_state is BreakerState.HALF_OPEN

    await eventually(half_open, timeout_s=RECOVERY_S + 10, interval_s=0.02)


async def total_attempts(mock: FastAPI) -> int:
    transport = httpx.ASGITransport(app=mock)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
        return sum((await client.get("/admin/stats")).json()["attempts"].values())


async def ledger_rows(engine: AsyncEngine, user_id: str) -> int:
    async with engine.connect() as conn:
        count = await conn.scalar(
            text("SELECT count(*) FROM transactions WHERE user_id = :u"), {"u": user_id}
        )
    return int(count or 0)


async def test_open_circuit_fails_fast_then_a_probe_closes_it(
    start_api: StartApi, engine: AsyncEngine
) -> None:
    mock = create_mock_gateway(MockGatewaySettings())
    async with start_api(extra_providers=(MockGatewayClientProvider(mock),), **BREAKER) as api:
        gateway = await gateway_of(api)
        user_id = await api.funded_wallet(10_000)
        for n in range(THRESHOLD - 1):
            assert_error(await api.pay(user_id, 10, f"mock:error:{n}"), 502, "GATEWAY_ERROR")
        assert gateway.breaker_state is BreakerState.CLOSED
        assert_error(await api.pay(user_id, 10, "mock:error:last"), 502, "GATEWAY_ERROR")
        assert gateway.breaker_state is BreakerState.OPEN

        attempts, rows = await total_attempts(mock), await ledger_rows(engine, user_id)
        key = new_key()
        refused = await api.pay(user_id, 700, "bill-after", key=key)
        error = assert_error(refused, 503, "GATEWAY_UNAVAILABLE")
        assert error["details"] == {"reason": "circuit_open"}
        assert 1 <= int(refused.headers["Retry-After"]) <= RECOVERY_S + 1
        assert await total_attempts(mock) == attempts, "no gateway call while open"
        assert await ledger_rows(engine, user_id) == rows, "nothing debited"
        assert await api.balances(user_id) == {"USD": {"available": 10_000, "pending": 0}}

        await until_half_open(gateway)
        probe = await api.pay(user_id, 700, "bill-after", key=key)  # same key: not consumed
        assert probe.status_code == 201, probe.text
        assert "Idempotent-Replayed" not in probe.headers
        assert await total_attempts(mock) == attempts + 1
        assert gateway.breaker_state is BreakerState.CLOSED
        assert (await api.pay(user_id, 10, "bill-next")).status_code == 201
        assert await api.balances(user_id) == {"USD": {"available": 9_290, "pending": 0}}


async def test_half_open_lets_one_probe_through_at_a_time(start_api: StartApi) -> None:
    mock = create_mock_gateway(MockGatewaySettings(latency_ms=700))
    async with start_api(extra_providers=(MockGatewayClientProvider(mock),), **BREAKER) as api:
        gateway = await gateway_of(api)
        user_id = await api.funded_wallet(10_000)
        for n in range(THRESHOLD):
            assert_error(await api.pay(user_id, 10, f"mock:error:{n}"), 502, "GATEWAY_ERROR")
        await until_half_open(gateway)

        probe = asyncio.create_task(api.pay(user_id, 10, "mock:latency:probe"))
        for _ in range(100):  # until the probe holds its slot at the (slow) gateway
            if gateway.bulkhead_in_use:
                break
            await asyncio.sleep(0.005)
        assert gateway.bulkhead_in_use == 1
        assert not probe.done()
        second = await api.pay(user_id, 10, "bill-second")
        error = assert_error(second, 503, "GATEWAY_UNAVAILABLE")
        assert error["details"] == {"reason": "circuit_half_open"}
        assert second.headers["Retry-After"] == "1"
        assert (await probe).status_code == 201
        assert (await api.pay(user_id, 10, "bill-third")).status_code == 201


async def test_a_failed_probe_reopens_it(start_api: StartApi) -> None:
    mock = create_mock_gateway(MockGatewaySettings())
    async with start_api(extra_providers=(MockGatewayClientProvider(mock),), **BREAKER) as api:
        gateway = await gateway_of(api)
        user_id = await api.funded_wallet(10_000)
        for n in range(THRESHOLD):
            await api.pay(user_id, 10, f"mock:error:{n}")
        await until_half_open(gateway)

        assert_error(await api.pay(user_id, 10, "mock:error:probe"), 502, "GATEWAY_ERROR")

        assert gateway.breaker_state is BreakerState.OPEN
        assert_error(await api.pay(user_id, 10, "bill"), 503, "GATEWAY_UNAVAILABLE")
        assert await api.balances(user_id) == {"USD": {"available": 10_000, "pending": 0}}
