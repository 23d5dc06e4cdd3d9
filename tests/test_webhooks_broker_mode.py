"""Provider webhooks in broker mode, as processes: the mock gateway sends a signed webhook
to the ingest, which publishes it with confirms; the webhook consumer applies it to the
database. A consumer killed in the middle of a burst leaves no event applied twice."""

from __future__ import annotations

import asyncio
import time
from typing import Final

import httpx
from wallet_api.main import make_app as make_api
from wallet_infra.messaging.topology import WEBHOOKS_QUEUE_NAME
from wallet_testkit.amqp import connected_broker, ensure_topology
from wallet_testkit.api import Api, lifespan_client
from wallet_testkit.metrics import deliveries
from wallet_testkit.polling import eventually
from wallet_testkit.webhooks import (
    QUICK_GATEWAY_SETTINGS,
    approved_payment,
    event_body,
    new_event_id,
    payment_status,
    pending_payment,
    publish_webhook,
)

from .consumers_harness import API_KEY, Stack, api_settings, running_api
from .webhooks_harness import broker_mode_processes, webhook_consumer

TIMEOUT_S: Final = 60.0
# What the recovery worker waits for before it even looks at a PENDING payment.
RECOVERY_MIN_AGE_S: Final = 60.0


async def test_a_payment_the_gateway_left_pending_is_settled_by_its_webhook_through_the_broker(
    consumers_stack: Stack,
) -> None:
    """The mock's `unknown` mode holds the outcome back from the API (504, PENDING) and
    sends `payment.settled` on its own a second later: to the ingest, through RabbitMQ, to
    the consumer, long before the recovery worker would even look at the payment."""
    with broker_mode_processes(consumers_stack, hang_s="0.3", webhook_settle_delay_s="1.0") as (
        ingest,
        consumer,
        mock,
    ):
        await asyncio.gather(ingest.wait_ready(), consumer.wait_healthy(), mock.wait_healthy())
        settings = api_settings(
            consumers_stack, gateway_url=mock.base_url, **QUICK_GATEWAY_SETTINGS
        )
        async with lifespan_client(make_api(settings=settings), api_key=API_KEY) as client:
            api = Api(client)
            charged = time.monotonic()
            user_id, payment_id = await pending_payment(api, 500)

            async def settled() -> bool:
                return await payment_status(api, user_id, payment_id) == "APPROVED"

            await eventually(settled, timeout_s=TIMEOUT_S, interval_s=0.05)
            took_s = time.monotonic() - charged
            stats = await mock.deliveries()
            assert (await api.balances(user_id))["USD"] == {"available": 0, "pending": 0}
    assert took_s < RECOVERY_MIN_AGE_S / 10, took_s
    assert (stats["delivered"], stats.get("failed_attempts", 0)) == (1, 0), stats


async def test_a_consumer_killed_mid_burst_applies_no_event_twice(consumers_stack: Stack) -> None:
    events = 200
    async with running_api(consumers_stack, **QUICK_GATEWAY_SETTINGS) as api:
        # 200 partial refunds of 1 each of a 1,000 payment: applying one twice would show
        # in the balance (the database's cap, the payment's amount, is far above 200).
        user_id, payment_id = await approved_payment(api, 1_000)
        await ensure_topology(consumers_stack.amqp_url)
        async with connected_broker(consumers_stack.amqp_url) as broker:
            for _ in range(events):
                event_id = new_event_id()
                body = event_body(event_id, "payment.refunded", payment_id=payment_id, amount=1)
                await publish_webhook(
                    broker, body, event_id=event_id, event_type="payment.refunded"
                )
        first = webhook_consumer(consumers_stack)
        try:
            await first.wait_healthy()

            async def some_applied() -> bool:
                return (
                    deliveries(await first.metrics(), WEBHOOKS_QUEUE_NAME).get("processed", 0) >= 20
                )

            await eventually(some_applied, timeout_s=TIMEOUT_S, interval_s=0.02)
            first.kill()  # SIGKILL: deliveries in flight were never acknowledged
        finally:
            first.close()
        credited = (await api.balances(user_id))["USD"]["available"]
        assert credited < events, "the consumer finished before it was killed"

        second = webhook_consumer(consumers_stack)
        try:
            await second.wait_healthy()

            async def all_applied() -> bool:
                return (await api.balances(user_id))["USD"]["available"] >= events

            await eventually(all_applied, timeout_s=TIMEOUT_S, interval_s=0.1)

            async def queue_drained() -> bool:
                handled = deliveries(await second.metrics(), WEBHOOKS_QUEUE_NAME)
                return sum(handled.values()) >= events - credited

            await eventually(queue_drained, timeout_s=TIMEOUT_S, interval_s=0.1)
            handled = deliveries(await second.metrics(), WEBHOOKS_QUEUE_NAME)
        finally:
            second.close()
        assert (await api.balances(user_id))["USD"]["available"] == events
        assert "dead_lettered" not in handled, handled


async def test_a_dispute_lives_its_whole_life_through_broker_mode_webhooks(
    consumers_stack: Stack,
) -> None:
    """Open a dispute through the API; the provider (the mock process) moves it to
    under_review, submitted and won, each a signed `dispute.updated` to the ingest, through
    RabbitMQ, to the consumer. WON credits the payment's amount once, even when the
    provider sends the same event again."""
    with broker_mode_processes(consumers_stack, hang_s="0.3") as (ingest, consumer, mock):
        await asyncio.gather(ingest.wait_ready(), consumer.wait_healthy(), mock.wait_healthy())
        settings = api_settings(
            consumers_stack, gateway_url=mock.base_url, **QUICK_GATEWAY_SETTINGS
        )
        async with (
            lifespan_client(make_api(settings=settings), api_key=API_KEY) as client,
            httpx.AsyncClient(base_url=mock.base_url, timeout=5.0) as provider,
        ):
            api = Api(client)
            user_id, payment_id = await approved_payment(api, 700)
            opened = await client.post(
                f"/wallets/{user_id}/payments/{payment_id}/disputes",
                json={"reason": "not received"},
                headers={"Idempotency-Key": new_event_id()},
            )
            assert opened.status_code == 201, opened.text
            dispute_id = opened.json()["id"]

            async def status_is(expected: str) -> bool:
                reply = await client.get(f"/disputes/{dispute_id}")
                return bool(reply.json()["status"] == expected)

            for move in ("under_review", "submitted", "won"):
                sent = await provider.post(
                    f"/admin/disputes/{dispute_id}/status", json={"status": move}
                )
                assert sent.status_code == 202, sent.text
                await eventually(
                    lambda move=move: status_is(move.upper()), timeout_s=TIMEOUT_S, interval_s=0.05
                )
            won_event = sent.json()["webhook"]["provider_event_id"]
            # The provider sends the won event again: a duplicate, nothing credited twice.
            again = await provider.post(
                "/admin/webhooks",
                json={
                    "type": "dispute.updated",
                    "data": {"dispute_id": dispute_id, "status": "won"},
                    "provider_event_id": won_event,
                },
            )
            assert again.status_code == 202, again.text

            async def both_delivered() -> bool:
                stats = await mock.deliveries()
                return bool(stats.get("delivered", 0) == stats["emitted"])

            await eventually(both_delivered, timeout_s=TIMEOUT_S, interval_s=0.05)

            async def drained() -> bool:
                handled = deliveries(await consumer.metrics(), WEBHOOKS_QUEUE_NAME)
                return sum(handled.values()) >= 4  # three moves and the repeat

            await eventually(drained, timeout_s=TIMEOUT_S, interval_s=0.05)
            assert (await api.balances(user_id))["USD"] == {"available": 700, "pending": 0}
            history = await client.get(f"/wallets/{user_id}/transactions?type=CHARGEBACK")
            assert [t["amount"] for t in history.json()["items"]] == [700]
