"""The metrics subscriber under TestRabbitBroker: how each delivery is settled, and what
it counts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from faststream.asgi import AsgiFastStream
from faststream.message import StreamMessage
from faststream.middlewares import BaseMiddleware
from faststream.rabbit import RabbitBroker
from metrics_consumer_testkit import InboxStore, payment_event
from wallet_domain.model.events import DomainEvent, EventType
from wallet_domain.use_cases.count_payment_event import METRICS_CONSUMER
from wallet_infra.messaging.topology import METRICS_QUEUE_NAME
from wallet_testkit.amqp import publish_body, publish_event
from wallet_testkit.consumers import recorded_settlements
from wallet_testkit.metrics import Samples, deliveries, scrape, value

BUSINESS_PREFIXES = ("wallet_payment", "wallet_events")


def _business_samples(samples: Samples) -> Samples:
    return {key: v for key, v in samples.items() if key[0].startswith(BUSINESS_PREFIXES)}


def assert_counted_once(samples: Samples, event: DomainEvent, *, status: str, amount: int) -> None:
    """One payment of `amount` USD counted under `status`, and `event` consumed once."""
    labels = {"status": status, "currency": "USD"}
    assert value(samples, "wallet_payments_total", **labels) == 1
    assert value(samples, "wallet_payment_amount_minor_total", **labels) == amount
    assert value(samples, "wallet_events_consumed_total", event_type=event.event_type.value) == 1


async def test_a_settled_payment_is_counted_then_acked(
    consumer: AsgiFastStream, broker: RabbitBroker, inbox_store: InboxStore
) -> None:
    event = payment_event(EventType.PAYMENT_COMPLETED, status="APPROVED", amount=1_250)

    with recorded_settlements() as settled:
        await publish_event(broker, event)

    assert settled == ["ack"]
    assert inbox_store.committed == {(METRICS_CONSUMER, event.event_id)}
    assert_counted_once(await scrape(consumer), event, status="APPROVED", amount=1_250)


async def test_failed_payments_are_counted_with_their_payload_status(
    consumer: AsgiFastStream, broker: RabbitBroker
) -> None:
    declined = payment_event(EventType.PAYMENT_FAILED, status="DECLINED", amount=7, currency="EUR")
    failed = payment_event(EventType.PAYMENT_FAILED, status="FAILED", amount=9, currency="EUR")
    created = payment_event(EventType.PAYMENT_CREATED, status="PENDING", currency="EUR")

    for event in (declined, failed, created):
        await publish_event(broker, event)

    samples = await scrape(consumer)
    assert value(samples, "wallet_payments_total", status="DECLINED", currency="EUR") == 1
    assert value(samples, "wallet_payments_total", status="FAILED", currency="EUR") == 1
    assert value(samples, "wallet_payments_total", status="PENDING", currency="EUR") == 0
    assert value(samples, "wallet_payment_amount_minor_total", status="FAILED", currency="EUR") == 9
    assert value(samples, "wallet_events_consumed_total", event_type="payment.failed") == 2
    assert value(samples, "wallet_events_consumed_total", event_type="payment.created") == 1


async def test_a_redelivered_event_is_acked_but_not_counted_again(
    consumer: AsgiFastStream, broker: RabbitBroker
) -> None:
    event = payment_event(EventType.PAYMENT_FAILED, status="DECLINED", amount=500)

    with recorded_settlements() as settled:
        for _ in range(3):
            await publish_event(broker, event)

    assert settled == ["ack", "ack", "ack"]
    samples = await scrape(consumer)
    assert deliveries(samples, METRICS_QUEUE_NAME) == {"processed": 1, "duplicate": 2}
    assert_counted_once(samples, event, status="DECLINED", amount=500)


async def test_a_failure_is_rejected_for_redelivery_and_counts_nothing(
    consumer: AsgiFastStream, broker: RabbitBroker, inbox_store: InboxStore
) -> None:
    event = payment_event(EventType.PAYMENT_COMPLETED, status="APPROVED")
    inbox_store.failures.append(ConnectionError("database went away"))

    with recorded_settlements() as settled:
        await publish_event(broker, event)
        assert settled == ["reject(requeue=True)"]
        assert inbox_store.committed == set()
        assert _business_samples(await scrape(consumer)) == {}

        await publish_event(broker, event)  # the redelivery succeeds

    assert settled == ["reject(requeue=True)", "ack"]
    samples = await scrape(consumer)
    assert deliveries(samples, METRICS_QUEUE_NAME) == {"retried": 1, "processed": 1}
    assert value(samples, "wallet_payments_total", status="APPROVED", currency="USD") == 1


async def test_a_malformed_body_is_rejected_without_requeue(
    consumer: AsgiFastStream, broker: RabbitBroker, inbox_store: InboxStore
) -> None:
    with recorded_settlements() as settled:
        await publish_body(broker, b"{not json")
        await publish_body(broker, b'{"event_id": "not-a-uuid"}')

    assert settled == ["reject(requeue=False)", "reject(requeue=False)"]
    assert inbox_store.committed == set()
    assert deliveries(await scrape(consumer), METRICS_QUEUE_NAME) == {"dead_lettered": 2}


async def test_a_payload_contradicting_its_type_is_rejected_before_the_inbox(
    consumer: AsgiFastStream, broker: RabbitBroker, inbox_store: InboxStore
) -> None:
    event = payment_event(EventType.PAYMENT_COMPLETED, status="DECLINED")

    with recorded_settlements() as settled:
        await publish_event(broker, event)

    assert settled == ["reject(requeue=False)"]
    assert inbox_store.committed == set()
    assert _business_samples(await scrape(consumer)) == {}


class _FailingMiddleware(BaseMiddleware):
    """Fails around the handler: a failure the delivery handler never sees."""

    async def consume_scope(self, call_next: Callable[..., Any], msg: StreamMessage[Any]) -> Any:
        raise RuntimeError("a middleware failed")


async def test_a_failure_outside_the_handler_is_rejected_without_requeue_not_nacked(
    consumer: AsgiFastStream, broker: RabbitBroker, inbox_store: InboxStore
) -> None:
    """A nack with requeue is not counted toward the queue's delivery limit (RabbitMQ 4.3+):
    the message would come back forever. Rejected, it is dead-lettered at once."""
    broker.add_middleware(_FailingMiddleware)

    # TestRabbitBroker hands the failure back to the publisher too.
    with recorded_settlements() as settled, pytest.raises(RuntimeError):
        await publish_event(broker, payment_event(EventType.PAYMENT_COMPLETED, status="APPROVED"))

    assert settled == ["reject(requeue=False)"]
    assert inbox_store.committed == set()
