"""Broker mode with RabbitMQ stopped: the ingest answers the provider's webhooks 503, and
once RabbitMQ is back the provider's retries get them in: none is lost, none applied twice.

Stops RabbitMQ for the whole host (marked `broker_outage`, run after everything else).
"""

from __future__ import annotations

import asyncio
from typing import Any, Final

from wallet_testkit.polling import eventually
from wallet_testkit.webhooks import QUICK_GATEWAY_SETTINGS, approved_payment

from .consumers_harness import Stack, running_api
from .webhooks_harness import broker_mode_processes

TIMEOUT_S: Final = 60.0
REFUNDS: Final = 5


async def test_webhooks_refused_while_the_broker_is_down_all_arrive_once_it_is_back(
    consumers_stack: Stack, broker_outage: Any
) -> None:
    async with running_api(consumers_stack, **QUICK_GATEWAY_SETTINGS) as api:
        user_id, payment_id = await approved_payment(api, 1_000)
        with broker_mode_processes(consumers_stack) as (ingest, consumer, mock):
            await asyncio.gather(ingest.wait_ready(), consumer.wait_healthy(), mock.wait_healthy())
            broker_outage.stop()
            try:
                for _ in range(REFUNDS):
                    await mock.emit("payment.refunded", payment_id=payment_id, amount=1)

                async def every_one_refused() -> bool:
                    return (await mock.deliveries()).get("failed_attempts", 0) >= REFUNDS

                await eventually(every_one_refused, timeout_s=TIMEOUT_S, interval_s=0.05)
                refused_ready = await ingest.readiness()
                during = await mock.deliveries()
            finally:
                broker_outage.start()

            async def all_delivered() -> bool:
                return (await mock.deliveries()).get("delivered", 0) == REFUNDS

            await eventually(all_delivered, timeout_s=TIMEOUT_S, interval_s=0.1)

            async def all_applied() -> bool:
                return (await api.balances(user_id))["USD"]["available"] >= REFUNDS

            await eventually(all_applied, timeout_s=TIMEOUT_S, interval_s=0.1)
            ingest_log = ingest.log()
        assert refused_ready == 503
        assert during.get("delivered", 0) == 0, during
        assert (await api.balances(user_id))["USD"]["available"] == REFUNDS
        assert '"status": 503' in ingest_log or '"status":503' in ingest_log, ingest_log[-2000:]
