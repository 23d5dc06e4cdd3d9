"""ConfirmedWebhookPublisher on the real broker: a copy of a webhook waits for the copy of
the same id in flight before it (apps/webhook_ingest's same-id test shows why), and that
wait ends when the earlier copy's publish settles, even if its request was cancelled."""

from __future__ import annotations

import asyncio
import contextlib

import pytest
from aio_pika.abc import AbstractRobustConnection
from wallet_infra.messaging.topology import WEBHOOKS_QUEUE_NAME, declare_topology
from wallet_infra.messaging.webhook_publisher import ConfirmedWebhookPublisher
from wallet_testkit.polling import eventually
from wallet_testkit.webhooks import event_body, new_event_id

from .messaging_kit import HeldBroker, amqp_connection, connected_broker, drain

pytestmark = pytest.mark.integration

EVENT_TYPE = "payment.settled"


async def _queued(connection: AbstractRobustConnection) -> int:
    channel = await connection.channel()
    declared = await channel.declare_queue(WEBHOOKS_QUEUE_NAME, passive=True)
    await channel.close()
    return declared.declaration_result.message_count or 0


async def test_a_copy_is_confirmed_though_the_copy_before_it_was_cancelled_in_flight(
    amqp_url: str,
) -> None:
    event_id = new_event_id()
    body = event_body(event_id)
    async with (
        HeldBroker(amqp_url) as held,
        connected_broker(held.url) as broker,
        amqp_connection(amqp_url) as connection,
    ):
        await declare_topology(broker)
        publisher = ConfirmedWebhookPublisher(broker=broker)
        warm_up = new_event_id()  # the confirm channel is open before confirms are held
        await publisher.publish(event_body(warm_up), webhook_id=warm_up, event_type=EVENT_TYPE)
        await drain(connection, WEBHOOKS_QUEUE_NAME)
        held.hold()

        first = asyncio.create_task(
            publisher.publish(body, webhook_id=event_id, event_type=EVENT_TYPE)
        )
        second = asyncio.create_task(
            publisher.publish(body, webhook_id=event_id, event_type=EVENT_TYPE)
        )

        async def first_is_queued() -> bool:
            return await _queued(connection) == 1

        await eventually(first_is_queued, timeout_s=5.0)
        first.cancel()  # its client disconnected while the broker's confirm was on its way
        with contextlib.suppress(asyncio.CancelledError):
            await first
        assert not second.done()
        held.release()

        await asyncio.wait_for(second, timeout=5.0)  # confirmed: its request answers 202
        assert await _queued(connection) == 2
