"""A handled delivery is not left in a reference cycle: the message (with its aio-pika
original, its headers and its body) is freed by reference counting when its handling
ends, not at the garbage collector's next pass.

The decoder every consumer uses (`the_delivery`) returns the message itself, which
FastStream caches on the message: a cycle of eight objects per delivery, so the collector
ran every ~90 deliveries and walked every delivery in flight each time. The delivery
handler clears that cache. On the real broker: FastStream's TestRabbitBroker keeps its
messages alive in mocks. Only messages are counted: this process also publishes, and a
publish leaves a cycle of FastStream's own (`RabbitExchange.__hash__`).
"""

from __future__ import annotations

import collections
from collections.abc import Iterator
from typing import Final

import pytest
from aio_pika.abc import AbstractIncomingMessage
from faststream.asgi import AsgiFastStream
from faststream.message import StreamMessage
from faststream.rabbit import RabbitBroker
from wallet_domain.model.events import EventType
from wallet_infra.messaging.topology import AUDIT_QUEUE_NAME
from wallet_testkit import garbage
from wallet_testkit.amqp import publish_body, publish_event
from wallet_testkit.fakes.consumers import make_event
from wallet_testkit.metrics import deliveries, scrape
from wallet_testkit.polling import eventually

pytestmark = pytest.mark.integration

TIMEOUT_S: Final = 15.0
_MESSAGES: Final = (StreamMessage, AbstractIncomingMessage)


@pytest.fixture
def collector_paused() -> Iterator[None]:
    with garbage.collector_paused():
        yield


async def test_handled_deliveries_are_not_left_in_cycles(
    live_consumer: AsgiFastStream, publisher: RabbitBroker, collector_paused: None
) -> None:
    async def deliver_each_outcome() -> None:
        before = sum(deliveries(await scrape(live_consumer), AUDIT_QUEUE_NAME).values())
        event = make_event(EventType.PAYMENT_CREATED)
        await publish_event(publisher, event)  # stored
        await publish_event(publisher, event)  # a duplicate
        await publish_body(publisher, b"not json")  # dead-lettered

        async def handled() -> bool:
            outcomes = deliveries(await scrape(live_consumer), AUDIT_QUEUE_NAME)
            return sum(outcomes.values()) >= before + 3

        await eventually(handled, timeout_s=TIMEOUT_S)

    await deliver_each_outcome()
    garbage.cyclic_garbage(*_MESSAGES)

    for _ in range(3):
        await deliver_each_outcome()

    assert garbage.cyclic_garbage(*_MESSAGES) == collections.Counter()
