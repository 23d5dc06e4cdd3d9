"""The bulkhead through the API: with the gateway hanging and every gateway slot
taken, reads still answer as fast as before and extra payments are refused at once."""

from __future__ import annotations

import asyncio
import math
import time
from typing import Final

from wallet_api_testkit import Api, StartApi, assert_error
from wallet_domain.ports.payment_gateway import PaymentGateway
from wallet_infra.gateway import HttpxPaymentGateway

SLOTS: Final = 2
HANG_S: Final = 4.0
SAMPLES: Final = 40
# Generous on purpose: the machine is shared with other test runs. The floor keeps a
# sub-millisecond baseline from turning scheduling noise into a failure.
MAX_SLOWDOWN: Final = 3.0
FLOOR_S: Final = 0.005


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[math.ceil(0.95 * len(ordered)) - 1]


async def read_latencies(api: Api, user_id: str) -> list[float]:
    latencies = []
    for n in range(SAMPLES):
        path = f"/wallets/{user_id}/balance" if n % 2 else f"/wallets/{user_id}/transactions"
        started = time.perf_counter()
        response = await api.client.get(path)
        latencies.append(time.perf_counter() - started)
        assert response.status_code == 200, response.text
    return latencies


async def test_reads_stay_fast_while_the_gateway_hangs_and_holds_every_slot(
    start_api: StartApi,
) -> None:
    async with start_api(
        mock_hang_s=HANG_S,
        gateway_max_concurrent=SLOTS,
        gateway_max_attempts=1,
        gateway_attempt_timeout_s=HANG_S + 2,
        gateway_retry_budget_s=HANG_S + 2,
        request_timeout_s=HANG_S * 3,
    ) as api:
        gateway = await api.app.state.dishka_container.get(PaymentGateway)
        assert isinstance(gateway, HttpxPaymentGateway)
        user_id = await api.funded_wallet(10_000)
        await read_latencies(api, user_id)  # warm-up
        baseline = p95(await read_latencies(api, user_id))

        hanging = [
            asyncio.create_task(api.pay(user_id, 100, f"mock:timeout:hang-{n}"))
            for n in range(SLOTS)
        ]
        for _ in range(200):  # until both hang at the gateway (2 s at most)
            if gateway.bulkhead_in_use == SLOTS:
                break
            await asyncio.sleep(0.01)
        assert gateway.bulkhead_in_use == SLOTS
        started = time.perf_counter()
        refused = await api.pay(user_id, 100, "bill-extra")
        refused_s = time.perf_counter() - started
        loaded = p95(await read_latencies(api, user_id))
        assert not any(task.done() for task in hanging), "measured while the gateway hung"

        assert_error(refused, 503, "GATEWAY_UNAVAILABLE")
        assert refused_s < HANG_S / 4
        assert loaded <= MAX_SLOWDOWN * max(baseline, FLOOR_S), (loaded, baseline)
        for task in hanging:  # timed out without charge: FAILED and refunded
            assert_error(await task, 504, "GATEWAY_TIMEOUT")
        assert await api.balances(user_id) == {"USD": {"available": 10_000, "pending": 0}}
