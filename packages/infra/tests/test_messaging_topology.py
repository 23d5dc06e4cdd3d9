"""The topology on the real broker: declared once per process, identically, and
routing each event type to the right queues."""

from __future__ import annotations

import asyncio
from typing import Any, Final

import pytest
from aio_pika import Message
from aio_pika.abc import AbstractRobustConnection
from wallet_infra.messaging.topology import (
    AUDIT_DLQ_NAME,
    AUDIT_QUEUE,
    AUDIT_QUEUE_NAME,
    DEAD_LETTER_EXCHANGE,
    DELIVERY_LIMIT,
    EVENTS_EXCHANGE,
    METRICS_DLQ_NAME,
    METRICS_QUEUE,
    METRICS_QUEUE_NAME,
    QUEUE_BINDINGS,
    WEBHOOKS_DLQ_NAME,
    WEBHOOKS_EXCHANGE,
    WEBHOOKS_QUEUE,
    WEBHOOKS_QUEUE_NAME,
    declare_topology,
)

from .messaging_kit import amqp_connection, connected_broker, drain, get_message

pytestmark = pytest.mark.integration

ALL_QUEUES: Final = (
    AUDIT_QUEUE_NAME,
    METRICS_QUEUE_NAME,
    WEBHOOKS_QUEUE_NAME,
    AUDIT_DLQ_NAME,
    METRICS_DLQ_NAME,
    WEBHOOKS_DLQ_NAME,
)


def test_the_declaration_matches_the_spec() -> None:
    assert (EVENTS_EXCHANGE.name, EVENTS_EXCHANGE.type.value) == ("payments.events", "topic")
    assert (DEAD_LETTER_EXCHANGE.name, DEAD_LETTER_EXCHANGE.type.value) == (
        "payments.events.dlx",
        "direct",
    )
    assert dict(QUEUE_BINDINGS) == {
        "metrics.queue": ("payment.*", "deposit.*", "hold.*", "transfer.*", "dispute.*"),
        "audit.queue": ("payment.*", "refund.*", "deposit.*", "hold.*", "transfer.*", "dispute.*"),
    }
    assert (WEBHOOKS_EXCHANGE.name, WEBHOOKS_EXCHANGE.type.value) == ("gateway.webhooks", "topic")
    assert WEBHOOKS_EXCHANGE.durable
    work_queues = (
        (METRICS_QUEUE, METRICS_DLQ_NAME),
        (AUDIT_QUEUE, AUDIT_DLQ_NAME),
        (WEBHOOKS_QUEUE, WEBHOOKS_DLQ_NAME),
    )
    for queue, dlq in work_queues:
        assert queue.durable
        assert queue.arguments is not None
        assert queue.arguments["x-queue-type"] == "quorum"
        assert queue.arguments["x-delivery-limit"] == DELIVERY_LIMIT
        assert queue.arguments["x-dead-letter-exchange"] == "payments.events.dlx"
        assert queue.arguments["x-dead-letter-routing-key"] == dlq


async def test_declaring_again_from_other_processes_is_a_no_op(amqp_url: str) -> None:
    async def one_process() -> None:
        async with connected_broker(amqp_url) as broker:
            await declare_topology(broker)
            await declare_topology(broker)

    await asyncio.gather(one_process(), one_process(), one_process())
    await one_process()


async def test_queues_are_durable_quorum_queues_with_a_delivery_limit(
    amqp_url: str, rabbit_control_and_url: tuple[Any, str]
) -> None:
    control, _ = rabbit_control_and_url
    if control is None:
        pytest.fail("inspecting queue arguments needs rabbitmqctl")
    async with connected_broker(amqp_url) as broker:
        await declare_topology(broker)
    vhost = amqp_url.rsplit("/", 1)[1]
    listing = control("list_queues", "-p", vhost, "name", "type", "durable", "arguments")
    rows = {line.split("\t")[0]: line for line in listing.splitlines()}
    for name in ALL_QUEUES:
        assert "\tquorum\ttrue\t" in rows[name], rows[name]
    for name, dlq in (
        (AUDIT_QUEUE_NAME, AUDIT_DLQ_NAME),
        (METRICS_QUEUE_NAME, METRICS_DLQ_NAME),
        (WEBHOOKS_QUEUE_NAME, WEBHOOKS_DLQ_NAME),
    ):
        assert f'{{"x-delivery-limit",{DELIVERY_LIMIT}}}' in rows[name]
        assert f'{{"x-dead-letter-routing-key","{dlq}"}}' in rows[name]


async def _route(
    connection: AbstractRobustConnection,
    routing_key: str,
    exchange_name: str = EVENTS_EXCHANGE.name,
) -> set[str]:
    """The queues a message with `routing_key` lands in."""
    await drain(connection, *ALL_QUEUES)
    channel = await connection.channel(publisher_confirms=True)
    exchange = await channel.get_exchange(exchange_name)
    await exchange.publish(Message(routing_key.encode()), routing_key=routing_key)
    landed = set()
    for name in ALL_QUEUES:
        queue = await channel.get_queue(name, ensure=True)
        if await queue.get(no_ack=True, fail=False) is not None:
            landed.add(name)
    return landed


@pytest.mark.parametrize(
    ("routing_key", "queues"),
    [
        ("payment.created", {AUDIT_QUEUE_NAME, METRICS_QUEUE_NAME}),
        ("payment.completed", {AUDIT_QUEUE_NAME, METRICS_QUEUE_NAME}),
        ("payment.failed", {AUDIT_QUEUE_NAME, METRICS_QUEUE_NAME}),
        ("refund.created", {AUDIT_QUEUE_NAME}),
        ("deposit.completed", {METRICS_QUEUE_NAME, AUDIT_QUEUE_NAME}),
        ("wallet.created", set()),
        ("payment.created.extra", set()),
    ],
)
async def test_bindings_route_each_event_type(
    amqp_url: str, routing_key: str, queues: set[str]
) -> None:
    async with connected_broker(amqp_url) as broker:
        await declare_topology(broker)
    async with amqp_connection(amqp_url) as connection:
        assert await _route(connection, routing_key) == queues


@pytest.mark.parametrize(
    "routing_key", ["payment.settled", "payment.refunded", "dispute.updated", "anything.new"]
)
async def test_every_provider_webhook_type_reaches_the_webhook_queue_alone(
    amqp_url: str, routing_key: str
) -> None:
    async with connected_broker(amqp_url) as broker:
        await declare_topology(broker)
    async with amqp_connection(amqp_url) as connection:
        landed = await _route(connection, routing_key, WEBHOOKS_EXCHANGE.name)
    assert landed == {WEBHOOKS_QUEUE_NAME}


async def test_a_message_rejected_past_the_delivery_limit_is_dead_lettered(
    amqp_url: str,
) -> None:
    async with connected_broker(amqp_url) as broker:
        await declare_topology(broker)
    async with amqp_connection(amqp_url) as connection:
        await drain(connection, *ALL_QUEUES)
        channel = await connection.channel(publisher_confirms=True)
        exchange = await channel.get_exchange(EVENTS_EXCHANGE.name)
        await exchange.publish(Message(b"poison", message_id="poison"), routing_key="refund.x")
        queue = await channel.get_queue(AUDIT_QUEUE_NAME, ensure=True)
        for _ in range(DELIVERY_LIMIT + 1):
            delivered = await get_message(connection, AUDIT_QUEUE_NAME, auto_ack=False)
            assert delivered.message_id == "poison"
            await delivered.reject(requeue=True)
        dead = await get_message(connection, AUDIT_DLQ_NAME)
        assert dead.message_id == "poison"
        assert await queue.get(no_ack=True, fail=False) is None
