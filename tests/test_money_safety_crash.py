"""Crash windows across processes: a real `wallet-api` is SIGKILLed while its
payments sit between their debit and their settlement; a new `wallet-api` process (its
recovery worker runs inside it) must resolve every one of them once, from the gateway's
word, with no money lost or made up.

The real `mock-gateway` process keeps the payments in flight: `mock:timeout:` hangs and
never charges, `mock:charged_timeout:` charges at once then hangs, `mock:latency:` charges
after a delay (still in flight at the kill, charged before the recovery asks).
"""

from __future__ import annotations

import asyncio
import time
from typing import Final

import httpx
from wallet_testkit.db import fetch
from wallet_testkit.processes import free_port, killed_at_exit

from .money_safety_kit import (
    API_KEY,
    PROVIDER_ID,
    assert_money_invariants,
    eventually,
    pending_payments,
    private_database,
    service_process,
)

WALLETS: Final = 4
LATENCY_MS: Final = 2_000
# In flight at the kill: these never finish before it.
IN_FLIGHT: Final = ("mock:timeout:", "mock:charged_timeout:", "mock:latency:")
# The new process only looks at payments older than this, by when the latency charge
# has long been recorded at the gateway (the worker waits max(min_age, 2 x deadline)).
RECOVERY_MIN_AGE_S: Final = 5.0


def _api_env(dsn: str, port: int, gateway_port: int, **extra: str) -> dict[str, str]:
    return {
        "WALLET_DATABASE_URL": dsn,
        "WALLET_GATEWAY_URL": f"http://127.0.0.1:{gateway_port}",
        "WALLET_API_KEYS": API_KEY,
        "WALLET_API_PORT": str(port),
        "WALLET_LOG_LEVEL": "warning",
        "WALLET_LOG_FORMAT": "json",
        "WALLET_RATE_LIMIT_PER_S": "0",
        **extra,
    }


async def _pay(client: httpx.AsyncClient, user_id: str, prefix: str, n: int) -> httpx.Response:
    body = {
        "provider_id": PROVIDER_ID,
        "external_reference": f"{prefix}crash-{n}",
        "amount": 100 + n,
        "currency": "USD",
    }
    return await client.post(
        f"/wallets/{user_id}/payments", json=body, headers={"Idempotency-Key": f"crash-{n}"}
    )


async def _fire_payments(client: httpx.AsyncClient, users: list[str]) -> list[asyncio.Task[object]]:
    async def pay(user_id: str, prefix: str, n: int) -> object:
        try:
            return await _pay(client, user_id, prefix, n)
        except httpx.TransportError as lost:  # the server died under it: expected
            return lost

    return [
        asyncio.create_task(pay(user_id, prefix, n))
        for user_id in users
        for n, prefix in enumerate(IN_FLIGHT)
    ]


async def test_payments_in_flight_at_a_crash_are_resolved_by_a_new_process(
    database_url: str,
) -> None:
    in_flight = WALLETS * len(IN_FLIGHT)
    async with private_database(database_url) as dsn:
        with killed_at_exit() as processes:
            gateway_port, first_port, second_port = free_port(), free_port(), free_port()
            gateway = service_process(
                "mock-gateway",
                "mock_gateway",
                {
                    "MOCK_GATEWAY_PORT": str(gateway_port),
                    "MOCK_GATEWAY_MODE": "timeout",
                    "MOCK_GATEWAY_HANG_S": "120",
                    "MOCK_GATEWAY_LATENCY_MS": str(LATENCY_MS),
                },
            )
            processes.append(gateway)
            first = service_process(
                "wallet-api",
                "wallet_api",
                _api_env(
                    dsn,
                    first_port,
                    gateway_port,
                    WALLET_REQUEST_TIMEOUT_S="60",
                    WALLET_GATEWAY_ATTEMPT_TIMEOUT_S="50",
                    WALLET_GATEWAY_RETRY_BUDGET_S="50",
                ),
            )
            processes.append(first)
            await gateway.wait_healthy(gateway_port)
            await first.wait_healthy(first_port)

            async with httpx.AsyncClient(
                base_url=f"http://127.0.0.1:{first_port}",
                headers={"X-API-Key": API_KEY},
                timeout=httpx.Timeout(90, connect=5),
            ) as client:
                users = [f"crash-{time.time_ns()}-{n}" for n in range(WALLETS)]
                for user_id in users:
                    assert (await client.post("/wallets", json={"user_id": user_id})).is_success
                    deposit = await client.post(
                        f"/wallets/{user_id}/deposits",
                        json={"amount": 10_000, "currency": "USD"},
                        headers={"Idempotency-Key": f"deposit-{user_id}"},
                    )
                    assert deposit.status_code == 201, deposit.text
                tasks = await _fire_payments(client, users)

                async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{gateway_port}") as mock:

                    async def all_debited_and_sent() -> bool:
                        if await pending_payments(dsn, users) != in_flight:
                            return False
                        attempts = (await mock.get("/admin/stats")).json()["attempts"]
                        return sum(attempts.values()) == in_flight

                    await eventually(all_debited_and_sent, timeout_s=30, interval_s=0.02)
                first.kill()  # SIGKILL: no shutdown, no settlement
                replies = await asyncio.gather(*tasks)
            assert all(isinstance(r, httpx.TransportError) for r in replies), replies
            assert await pending_payments(dsn, users) == in_flight, "all stranded"

            second = service_process(
                "wallet-api",
                "wallet_api",
                _api_env(
                    dsn,
                    second_port,
                    gateway_port,
                    WALLET_REQUEST_TIMEOUT_S="1",
                    WALLET_RECOVERY_MIN_AGE_S=str(RECOVERY_MIN_AGE_S),
                    WALLET_RECOVERY_INTERVAL_S="0.5",
                    WALLET_RECOVERY_LOOKUP_TIMEOUT_S="3",
                    WALLET_GATEWAY_ATTEMPT_TIMEOUT_S="2",
                ),
            )
            processes.append(second)
            await second.wait_healthy(second_port)

            async def none_pending() -> bool:
                return await pending_payments(dsn, users) == 0

            await eventually(none_pending, timeout_s=60, interval_s=0.2)

            async with httpx.AsyncClient(
                base_url=f"http://127.0.0.1:{second_port}", headers={"X-API-Key": API_KEY}
            ) as client:
                for n, (prefix, status) in enumerate(zip(IN_FLIGHT, (504, 201, 201), strict=True)):
                    replay = await _pay(client, users[0], prefix, n)
                    assert replay.status_code == status, replay.text
                    assert replay.headers["Idempotent-Replayed"] == "true"
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{gateway_port}") as mock:
                charges = (await mock.get("/admin/stats")).json()["charges"]
            by_status = await assert_money_invariants(dsn, users, charges)
            # All reached the gateway before the kill (waited for above). timeout: never
            # charged → FAILED + refund; the other two charged → APPROVED.
            assert by_status == {"FAILED": WALLETS, "APPROVED": 2 * WALLETS}, by_status

            keys = await fetch(
                dsn,
                "SELECT state, count(*) AS n FROM idempotency_keys "
                "WHERE user_id = ANY($1::text[]) GROUP BY state",
                users,
            )
            assert {row["state"]: row["n"] for row in keys} == {
                "COMPLETED": WALLETS * (1 + len(IN_FLIGHT))
            }, "the worker gave every stranded key its final reply"
