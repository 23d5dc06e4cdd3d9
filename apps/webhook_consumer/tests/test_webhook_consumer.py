"""The webhook consumer on the real broker and database: a webhook settles a PENDING
payment once; the same event delivered five times (at once) has one effect; a body that
is not a provider event is dead-lettered at once; one that keeps failing after the
delivery limit, while the others flow; `/healthz` sees broker and database."""

from __future__ import annotations

import asyncio
from typing import Final

from faststream.asgi import AsgiFastStream
from faststream.rabbit import RabbitBroker
from wallet_infra.messaging.topology import (
    DELIVERY_LIMIT,
    WEBHOOKS_DLQ_NAME,
    WEBHOOKS_QUEUE_NAME,
)
from wallet_testkit.amqp import RabbitVhost, first_death, queue_messages
from wallet_testkit.api import Api
from wallet_testkit.consumers import get
from wallet_testkit.metrics import deliveries, scrape, value
from wallet_testkit.polling import eventually
from wallet_testkit.webhooks import (
    approved_payment,
    event_body,
    new_event_id,
    payment_status,
    pending_payment,
    publish_webhook,
)

TIMEOUT_S: Final = 20.0
EVENTS: Final = "wallet_webhook_events_total"


async def _handled(consumer: AsgiFastStream, before: dict[str, int], count: int) -> None:
    """Until `count` more deliveries of webhooks.queue were settled (any outcome)."""

    async def done() -> bool:
        now = deliveries(await scrape(consumer), WEBHOOKS_QUEUE_NAME)
        return sum(now.values()) - sum(before.values()) >= count

    await eventually(done, timeout_s=TIMEOUT_S)


async def test_a_settled_webhook_settles_the_pending_payment(
    live_consumer: AsgiFastStream, publisher: RabbitBroker, api: Api
) -> None:
    user_id, payment_id = await pending_payment(api, 700)
    event_id = new_event_id()
    body = event_body(event_id, payment_id=payment_id, status="approved")
    samples = await scrape(live_consumer)
    applied = value(samples, EVENTS, type="payment.settled", outcome="applied")

    await publish_webhook(publisher, body, event_id=event_id)

    await _handled(live_consumer, deliveries(samples, WEBHOOKS_QUEUE_NAME), 1)
    assert await payment_status(api, user_id, payment_id) == "APPROVED"
    assert (await api.balances(user_id))["USD"] == {"available": 0, "pending": 0}
    after = await scrape(live_consumer)
    assert value(after, EVENTS, type="payment.settled", outcome="applied") == applied + 1


async def test_the_same_event_five_times_at_once_has_one_effect(
    live_consumer: AsgiFastStream, publisher: RabbitBroker, api: Api
) -> None:
    user_id, payment_id = await approved_payment(api, 1_000)
    event_id = new_event_id()
    body = event_body(event_id, "payment.refunded", payment_id=payment_id, amount=100)
    before = deliveries(await scrape(live_consumer), WEBHOOKS_QUEUE_NAME)

    # Five copies in the queue together: the consumer (prefetch 50) works on them at once.
    await asyncio.gather(
        *(publish_webhook(publisher, body, event_id=event_id, event_type="payment.refunded")
          for _ in range(5))
    )  # fmt: skip

    await _handled(live_consumer, before, 5)
    after = deliveries(await scrape(live_consumer), WEBHOOKS_QUEUE_NAME)
    grown = {outcome: after.get(outcome, 0) - before.get(outcome, 0) for outcome in after}
    assert {k: v for k, v in grown.items() if v} == {"processed": 1, "duplicate": 4}
    assert (await api.balances(user_id))["USD"]["available"] == 100


async def test_a_body_that_is_not_a_provider_event_is_dead_lettered_at_once(
    live_consumer: AsgiFastStream, publisher: RabbitBroker, vhost: RabbitVhost
) -> None:
    await queue_messages(vhost.url, WEBHOOKS_DLQ_NAME)
    before = deliveries(await scrape(live_consumer), WEBHOOKS_QUEUE_NAME)
    event_id = new_event_id()

    await publish_webhook(publisher, b'{"provider_event_id": 1}', event_id=event_id)

    await _handled(live_consumer, before, 1)
    (dead,) = await queue_messages(vhost.url, WEBHOOKS_DLQ_NAME)
    assert dead.message_id == event_id
    assert first_death(dead)["reason"] == "rejected"
    assert first_death(dead)["count"] == 1


async def test_a_webhook_that_keeps_failing_is_dead_lettered_while_others_flow(
    live_consumer: AsgiFastStream, publisher: RabbitBroker, vhost: RabbitVhost, api: Api
) -> None:
    await queue_messages(vhost.url, WEBHOOKS_DLQ_NAME)
    user_id, payment_id = await approved_payment(api, 1_000)
    # A real, deterministic failure: PostgreSQL text refuses the NUL character, so recording
    # this event fails on every delivery although the body is a valid provider event.
    poison_id = "evt_nul_\u0000_" + new_event_id()
    poison = event_body(poison_id, "payment.refunded", payment_id=payment_id, amount=1)
    healthy_id = new_event_id()
    healthy = event_body(healthy_id, "payment.refunded", payment_id=payment_id, amount=10)
    before = deliveries(await scrape(live_consumer), WEBHOOKS_QUEUE_NAME)

    await publish_webhook(publisher, poison, event_id="poison", event_type="payment.refunded")
    await publish_webhook(publisher, healthy, event_id=healthy_id, event_type="payment.refunded")

    await _handled(live_consumer, before, DELIVERY_LIMIT + 1 + 1)
    after = deliveries(await scrape(live_consumer), WEBHOOKS_QUEUE_NAME)
    grown = {outcome: after.get(outcome, 0) - before.get(outcome, 0) for outcome in after}
    assert {k: v for k, v in grown.items() if v} == {
        "retried": DELIVERY_LIMIT,
        "dead_lettered": 1,
        "processed": 1,
    }
    (dead,) = await queue_messages(vhost.url, WEBHOOKS_DLQ_NAME)
    assert dead.message_id == "poison"
    assert dead.body == poison
    assert (await api.balances(user_id))["USD"]["available"] == 10


async def test_healthz_reports_broker_and_database(live_consumer: AsgiFastStream) -> None:
    reply = await get(live_consumer, "/healthz")
    assert reply.status_code == 200
    assert reply.json() == {"status": "ok", "checks": {"broker": "ok", "database": "ok"}}
