"""Failures outside the use case end in the DLQ or in the use case's hands, never in an
uncounted requeue loop (on the real broker and database).

The delivery handler answers every failure of the use case and of the envelope decoder.
What it does not see is answered by the subscriber's ack policy: a middleware failing
around the handler, or anything else FastStream's own pipeline raises, is rejected
without requeue (dead-lettered at once), never nacked: from RabbitMQ 4.3 a `basic.nack`
with requeue is not counted toward a quorum queue's delivery limit, so such a message
would come back forever. Each test here published into an uncounted loop before:
- a body nested deeper than the JSON decoder goes raised `RecursionError`, not
  `MalformedEvent`;
- a `traceparent` header that is not text made the consumer span's context extraction
  raise, before the handler's rules;
- a middleware failing around the handler;
- a `reply_to` on a delivery made FastStream publish the handler's result to it after the
  audit row committed, and an unroutable reply failed the delivery that had worked.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final
from uuid import UUID, uuid4

import pytest
from aio_pika.abc import AbstractIncomingMessage
from faststream.asgi import AsgiFastStream
from faststream.message import StreamMessage
from faststream.middlewares import BaseMiddleware
from faststream.rabbit import RabbitBroker, RabbitQueue
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from wallet_domain.model.events import DomainEvent, EventType
from wallet_infra.messaging.envelope import CONTENT_TYPE, encode_envelope
from wallet_infra.messaging.topology import AUDIT_DLQ_NAME, AUDIT_QUEUE_NAME, EVENTS_EXCHANGE
from wallet_infra.persistence.tables import audit_log
from wallet_testkit.amqp import RabbitVhost, first_death, publish_body, queue_messages
from wallet_testkit.consumers import broker_of, started
from wallet_testkit.fakes.consumers import make_event
from wallet_testkit.metrics import deliveries, scrape
from wallet_testkit.polling import eventually

pytestmark = pytest.mark.integration

TIMEOUT_S: Final = 15.0
FAIL_HEADER: Final = "x-test-middleware-fails"


async def _publish(broker: RabbitBroker, event: DomainEvent, **options: Any) -> None:
    """`event` as the relay publishes it, with `options` (headers, reply_to) added."""
    await broker.publish(
        encode_envelope(event),
        exchange=EVENTS_EXCHANGE,
        routing_key=event.event_type.value,
        message_id=str(event.event_id),
        content_type=CONTENT_TYPE,
        persist=True,
        mandatory=True,
        **options,
    )


async def _dead_lettered(vhost: RabbitVhost, message_id: str) -> AbstractIncomingMessage:
    """The DLQ's copy of `message_id`, once it is there (others taken off are dropped)."""
    found: list[AbstractIncomingMessage] = []

    async def arrived() -> bool:
        taken = await queue_messages(vhost.url, AUDIT_DLQ_NAME)
        found.extend(m for m in taken if m.message_id == message_id)
        return bool(found)

    await eventually(arrived, timeout_s=TIMEOUT_S)
    [message] = found
    return message


async def _stored(session_factory: async_sessionmaker[AsyncSession], event_id: UUID) -> bool:
    async with session_factory() as session:
        query = select(audit_log.c.event_id).where(audit_log.c.event_id == event_id)
        return (await session.execute(query)).first() is not None


def _failing_middleware(seen: list[str]) -> Callable[..., BaseMiddleware]:
    """A broker middleware that raises around the handler for messages carrying
    `FAIL_HEADER`, recording each delivery it failed."""

    class FailsMarked(BaseMiddleware):
        async def consume_scope(
            self, call_next: Callable[..., Any], msg: StreamMessage[Any]
        ) -> Any:
            if msg.headers.get(FAIL_HEADER):
                seen.append(str(msg.message_id))
                raise RuntimeError("a middleware failed")
            return await call_next(msg)

    return FailsMarked


async def test_a_middleware_failure_dead_letters_the_message_on_its_first_delivery(
    live_app: AsgiFastStream,
    publisher: RabbitBroker,
    vhost: RabbitVhost,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    failed: list[str] = []
    broker_of(live_app).add_middleware(_failing_middleware(failed))
    poison = make_event(EventType.PAYMENT_CREATED)
    healthy = make_event(EventType.PAYMENT_CREATED)

    async with started(live_app):
        await _publish(publisher, poison, headers={FAIL_HEADER: "yes"})
        await _publish(publisher, healthy)
        message = await _dead_lettered(vhost, str(poison.event_id))

        async def healthy_stored() -> bool:
            return await _stored(session_factory, healthy.event_id)

        await eventually(healthy_stored, timeout_s=TIMEOUT_S)

    # Rejected once without requeue: a nack would have brought it back (counted up to the
    # delivery limit on RabbitMQ < 4.3, forever from 4.3).
    death = first_death(message)
    assert (death["queue"], death["reason"], death["count"]) == (AUDIT_QUEUE_NAME, "rejected", 1)
    assert failed == [str(poison.event_id)]
    assert not await _stored(session_factory, poison.event_id)


async def test_a_body_nested_too_deeply_is_dead_lettered_as_malformed(
    live_consumer: AsgiFastStream, publisher: RabbitBroker, vhost: RabbitVhost
) -> None:
    before = deliveries(await scrape(live_consumer), AUDIT_QUEUE_NAME)
    event = make_event(EventType.PAYMENT_CREATED, note="X")
    # A valid envelope but for a payload deeper than the decoder reads.
    nested = encode_envelope(event).replace(b'"X"', b"[" * 2_000 + b"]" * 2_000)

    await publish_body(publisher, nested, message_id=str(event.event_id))
    message = await _dead_lettered(vhost, str(event.event_id))

    death = first_death(message)
    assert (death["reason"], death["count"]) == ("rejected", 1)
    after = deliveries(await scrape(live_consumer), AUDIT_QUEUE_NAME)
    assert after.get("dead_lettered", 0) - before.get("dead_lettered", 0) == 1
    assert after.get("retried", 0) == before.get("retried", 0)


@pytest.mark.parametrize("traceparent", [5, 1.5, [1, 2]])
async def test_a_trace_header_that_is_not_text_does_not_stop_the_event(
    live_consumer: AsgiFastStream,
    publisher: RabbitBroker,
    session_factory: async_sessionmaker[AsyncSession],
    traceparent: object,
) -> None:
    event = make_event(EventType.PAYMENT_CREATED)

    await _publish(publisher, event, headers={"traceparent": traceparent, "baggage": traceparent})

    async def stored() -> bool:
        return await _stored(session_factory, event.event_id)

    await eventually(stored, timeout_s=TIMEOUT_S)


async def test_a_reply_to_is_neither_answered_nor_a_reason_to_fail_the_delivery(
    live_app: AsgiFastStream,
    publisher: RabbitBroker,
    vhost: RabbitVhost,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    replies = f"replies-{uuid4().hex[:8]}"
    await publisher.declare_queue(RabbitQueue(replies, auto_delete=False))
    to_a_queue = make_event(EventType.PAYMENT_CREATED)
    # Replies go through the default exchange: a queue that does not exist is unroutable.
    to_nowhere = make_event(EventType.PAYMENT_CREATED)

    async with started(live_app):
        await _publish(publisher, to_a_queue, reply_to=replies)
        await _publish(publisher, to_nowhere, reply_to="no-such-reply-queue")

        async def both_stored() -> bool:
            events = (to_a_queue, to_nowhere)
            return all([await _stored(session_factory, event.event_id) for event in events])

        await eventually(both_stored, timeout_s=TIMEOUT_S)
        # Leaving `started` stops the consumer gracefully: every delivery in hand is
        # answered (and any reply confirmed) before it returns.
    outcomes = deliveries(await scrape(live_app), AUDIT_QUEUE_NAME)

    assert await queue_messages(vhost.url, replies) == []
    # Each handled once and acknowledged: no failed reply sent it round again (nor away).
    assert outcomes == {"processed": 2}
    dead = {m.message_id for m in await queue_messages(vhost.url, AUDIT_DLQ_NAME)}
    assert dead.isdisjoint({str(to_a_queue.event_id), str(to_nowhere.event_id)})
