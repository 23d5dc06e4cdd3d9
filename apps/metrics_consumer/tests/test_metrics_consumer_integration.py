"""The metrics consumer on the real broker and database: routed events are counted once,
redeliveries are not, a malformed message is dead-lettered, `/healthz` sees both."""

from __future__ import annotations

from typing import Final

import pytest
from aio_pika.abc import AbstractIncomingMessage
from faststream.asgi import AsgiFastStream
from faststream.rabbit import RabbitBroker
from metrics_consumer_testkit import payment_event
from wallet_domain.model.events import EventType
from wallet_infra.messaging.topology import (
    METRICS_DLQ_NAME,
    METRICS_QUEUE_NAME,
)
from wallet_testkit.amqp import (
    RabbitVhost,
    first_death,
    publish_body,
    publish_event,
    queue_messages,
)
from wallet_testkit.consumers import get
from wallet_testkit.metrics import deliveries, scrape, value
from wallet_testkit.polling import eventually

pytestmark = pytest.mark.integration

TIMEOUT_S: Final = 15.0


async def test_payment_events_are_counted_once_however_often_delivered(
    live_consumer: AsgiFastStream, publisher: RabbitBroker
) -> None:
    approved = payment_event(EventType.PAYMENT_COMPLETED, status="APPROVED", amount=1_250)
    declined = payment_event(
        EventType.PAYMENT_FAILED, status="DECLINED", amount=300, currency="GBP"
    )
    created = payment_event(EventType.PAYMENT_CREATED, status="PENDING")

    for event in (approved, declined, created, approved, declined, approved):
        await publish_event(publisher, event)

    async def all_handled() -> bool:
        return sum(deliveries(await scrape(live_consumer), METRICS_QUEUE_NAME).values()) >= 6

    await eventually(all_handled, timeout_s=TIMEOUT_S)
    samples = await scrape(live_consumer)
    assert deliveries(samples, METRICS_QUEUE_NAME) == {"processed": 3, "duplicate": 3}
    assert value(samples, "wallet_payments_total", status="APPROVED", currency="USD") == 1
    assert value(samples, "wallet_payments_total", status="DECLINED", currency="GBP") == 1
    assert (
        value(samples, "wallet_payment_amount_minor_total", status="APPROVED", currency="USD")
        == 1_250
    )
    assert (
        value(samples, "wallet_payment_amount_minor_total", status="DECLINED", currency="GBP")
        == 300
    )
    assert value(samples, "wallet_events_consumed_total", event_type="payment.completed") == 1
    assert value(samples, "wallet_events_consumed_total", event_type="payment.failed") == 1
    assert value(samples, "wallet_events_consumed_total", event_type="payment.created") == 1


async def test_a_malformed_message_goes_to_the_dlq_at_once(
    live_consumer: AsgiFastStream, publisher: RabbitBroker, vhost: RabbitVhost
) -> None:
    await publish_body(publisher, b"{definitely not an envelope", message_id="poison-1")

    found: list[AbstractIncomingMessage] = []

    async def dead_lettered() -> bool:
        found.extend(await queue_messages(vhost.url, METRICS_DLQ_NAME))
        return bool(found)

    await eventually(dead_lettered, timeout_s=TIMEOUT_S)
    [message] = found
    assert message.message_id == "poison-1"
    assert message.body == b"{definitely not an envelope"
    death = first_death(message)
    assert death["reason"] == "rejected"
    assert death["queue"] == METRICS_QUEUE_NAME


async def test_healthz_reports_broker_and_database(live_consumer: AsgiFastStream) -> None:
    response = await get(live_consumer, "/healthz")

    assert response.status_code == 200, response.text
    assert response.json() == {"status": "ok", "checks": {"broker": "ok", "database": "ok"}}
