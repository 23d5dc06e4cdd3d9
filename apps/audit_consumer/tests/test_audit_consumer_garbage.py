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
import gc
from collections.abc import Iterator
from typing import Final

import pytest
from aio_pika.abc import AbstractIncomingMessage
from faststream.asgi import AsgiFastStream
from faststream.message import StreamMessage
from faststream.rabbit import RabbitBroker
from wallet_domain.model.events import EventType
from wallet_infra.messaging.topology import AUDIT_QUEUE_NAME
from wallet_testkit.amqp import publish_body, publish_event
from wallet_testkit.fakes.consumers import make_event
from wallet_testkit.metrics import deliveries, scrape
from wallet_testkit.polling import eventually

pytestmark = pytest.mark.integration

TIMEOUT_S: Final = 15.0
_MESSAGES: Final = (StreamMessage, AbstractIncomingMessage)


@pytest.fixture
def collector_paused() -> Iterator[None]:
    """The collector off (after a clean slate), so that what deliveries leave in cycles
    stays there to be counted."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _messages_in_cycles() -> collections.Counter[str]:
    """The messages a collection finds unreachable now, by type; then all freed."""
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        gc.collect()
        found = collections.Counter(
            type(thing).__name__ for thing in gc.garbage if isinstance(thing, _MESSAGES)
        )
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.collect()
    return found


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
    _messages_in_cycles()

    for _ in range(3):
        await deliver_each_outcome()

    assert _messages_in_cycles() == collections.Counter()
