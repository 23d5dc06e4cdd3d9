"""The bulkhead through the API: with the gateway hanging and every gateway slot
taken, reads still answer and extra payments are refused, all before the hang ends.

No latency ratio: on a shared machine it measures the neighbours. What the bulkhead
promises is that nothing else waits for the hanging calls, and that is an order: every
read and the refusal are answered while both slots are still held."""

from __future__ import annotations

import asyncio
from typing import Final

from wallet_api_testkit import Api, StartApi, assert_error
from wallet_domain.ports.payment_gateway import PaymentGateway
from wallet_infra.gateway import HttpxPaymentGateway
from wallet_testkit.polling import eventually

SLOTS: Final = 2
HANG_S: Final = 6.0  # far longer than the reads and the refusal take, even on a busy box
SAMPLES: Final = 40


async def read_all(api: Api, user_id: str) -> None:
    for n in range(SAMPLES):
        path = f"/wallets/{user_id}/balance" if n % 2 else f"/wallets/{user_id}/transactions"
        response = await api.client.get(path)
        assert response.status_code == 200, response.text


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

        hanging = [
            asyncio.create_task(api.pay(user_id, 100, f"mock:timeout:hang-{n}"))
            for n in range(SLOTS)
        ]

        async def all_slots_held() -> bool:
            return gateway.bulkhead_in_use == SLOTS

        await eventually(all_slots_held, timeout_s=HANG_S / 2, interval_s=0.01)
        refused = await api.pay(user_id, 100, "bill-extra")
        await read_all(api, user_id)
        assert not any(task.done() for task in hanging), "answered while the gateway hung"

        assert_error(refused, 503, "GATEWAY_UNAVAILABLE")
        for task in hanging:  # timed out without charge: FAILED and refunded
            assert_error(await task, 504, "GATEWAY_TIMEOUT")
        assert await api.balances(user_id) == {"USD": {"available": 10_000, "pending": 0}}
