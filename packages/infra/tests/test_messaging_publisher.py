"""FaststreamEventPublisher on the real broker: what a confirm means, and what it does not."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Final
from uuid import uuid4

import pytest
from faststream.rabbit import ExchangeType, RabbitExchange
from wallet_domain.model.events import DomainEvent, EventType
from wallet_domain.model.outbox_message import OutboxMessage
from wallet_domain.ports.event_publisher import BrokerUnavailable
from wallet_infra.messaging.broker import make_broker
from wallet_infra.messaging.envelope import decode_envelope, encode_envelope
from wallet_infra.messaging.publisher import FaststreamEventPublisher
from wallet_infra.messaging.topology import (
    AUDIT_QUEUE_NAME,
    METRICS_QUEUE_NAME,
    declare_topology,
)
from wallet_infra.telemetry import valid_traceparent

from .messaging_kit import HeldBroker, amqp_connection, connected_broker, drain, get_message

pytestmark = pytest.mark.integration

TRACEPARENT: Final = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


def outbox_message(
    event_type: EventType = EventType.PAYMENT_CREATED, traceparent: str | None = TRACEPARENT
) -> OutboxMessage:
    event = DomainEvent(
        event_id=uuid4(),
        event_type=event_type,
        occurred_at=datetime.now(UTC),
        aggregate_id=uuid4(),
        user_id="alice",
        payload={"amount": 1250, "currency": "EUR"},
    )
    return OutboxMessage(event=event, traceparent=traceparent)


async def test_a_published_event_carries_the_envelope_and_amqp_properties(amqp_url: str) -> None:
    message = outbox_message()
    async with connected_broker(amqp_url) as broker, amqp_connection(amqp_url) as connection:
        await declare_topology(broker)
        await drain(connection, AUDIT_QUEUE_NAME, METRICS_QUEUE_NAME)

        confirmed = await FaststreamEventPublisher(broker=broker).publish_batch([message])

        assert confirmed == {message.event.event_id}
        delivered = await get_message(connection, AUDIT_QUEUE_NAME)
        assert await get_message(connection, METRICS_QUEUE_NAME)
    assert delivered.body == encode_envelope(message.event)
    assert decode_envelope(delivered.body) == message.event
    assert delivered.message_id == str(message.event.event_id)
    assert delivered.delivery_mode == 2  # persistent
    assert delivered.content_type == "application/json"
    assert delivered.headers["traceparent"] == TRACEPARENT
    assert delivered.routing_key == "payment.created"
    assert delivered.exchange == "payments.events"


async def test_a_row_without_a_traceparent_goes_out_with_a_new_trace(amqp_url: str) -> None:
    """Every message carries one (docs/events.md), also for a row written without one."""
    message = outbox_message(EventType.DEPOSIT_COMPLETED, traceparent=None)
    async with connected_broker(amqp_url) as broker, amqp_connection(amqp_url) as connection:
        await declare_topology(broker)
        await drain(connection, AUDIT_QUEUE_NAME)

        assert await FaststreamEventPublisher(broker=broker).publish_batch([message])

        delivered = await get_message(connection, AUDIT_QUEUE_NAME)
    sent = (delivered.headers or {})["traceparent"]
    assert isinstance(sent, str)
    assert valid_traceparent(sent.encode()) == sent


async def test_a_batch_is_confirmed_message_by_message(amqp_url: str) -> None:
    batch = [outbox_message(event_type) for event_type in EventType for _ in range(40)]
    async with connected_broker(amqp_url) as broker:
        await declare_topology(broker)

        confirmed = await FaststreamEventPublisher(broker=broker).publish_batch(batch)

    assert confirmed == {m.event.event_id for m in batch}


async def test_an_unroutable_event_is_not_confirmed(amqp_url: str) -> None:
    unbound = RabbitExchange(f"wallet-test-unbound-{uuid4().hex[:8]}", type=ExchangeType.TOPIC)
    async with connected_broker(amqp_url) as broker:
        publisher = FaststreamEventPublisher(broker=broker, exchange=unbound)
        message = outbox_message()

        assert await publisher.publish_batch([message]) == set()

        await (await broker.declare_exchange(unbound)).delete()


async def test_in_one_batch_only_the_routable_events_are_confirmed(amqp_url: str) -> None:
    partial = RabbitExchange(f"wallet-test-partial-{uuid4().hex[:8]}", type=ExchangeType.TOPIC)
    routed = [outbox_message(EventType.PAYMENT_CREATED) for _ in range(3)]
    unrouted = [outbox_message(EventType.REFUND_CREATED) for _ in range(2)]
    async with connected_broker(amqp_url) as broker, amqp_connection(amqp_url) as connection:
        exchange = await broker.declare_exchange(partial)
        channel = await connection.channel()
        queue = await channel.declare_queue(exclusive=True)
        await queue.bind(partial.name, routing_key="payment.*")
        publisher = FaststreamEventPublisher(broker=broker, exchange=partial)

        confirmed = await publisher.publish_batch([*unrouted[:1], *routed, *unrouted[1:]])

        await exchange.delete()
    assert confirmed == {m.event.event_id for m in routed}


async def test_events_confirmed_too_late_are_not_confirmed_and_the_next_batch_is(
    amqp_url: str,
) -> None:
    late = [outbox_message() for _ in range(10)]
    on_time = [outbox_message() for _ in range(10)]
    async with HeldBroker(amqp_url) as held, connected_broker(held.url) as broker:
        await declare_topology(broker)
        publisher = FaststreamEventPublisher(broker=broker, confirm_timeout_s=0.2)
        assert await publisher.publish_batch([outbox_message()])  # the exchange is known
        held.hold()

        assert await publisher.publish_batch(late) == set()  # their rows stay unsent

        held.release()
        assert await publisher.publish_batch(on_time) == {m.event.event_id for m in on_time}


async def test_an_empty_batch_publishes_nothing(amqp_url: str) -> None:
    async with connected_broker(amqp_url) as broker:
        assert await FaststreamEventPublisher(broker=broker).publish_batch([]) == set()


async def test_no_connection_means_broker_unavailable() -> None:
    never_connected = make_broker("amqp://guest:guest@127.0.0.1:1/")
    publisher = FaststreamEventPublisher(broker=never_connected, ready_timeout_s=0.1)

    with pytest.raises(BrokerUnavailable):
        await publisher.publish_batch([outbox_message()])
