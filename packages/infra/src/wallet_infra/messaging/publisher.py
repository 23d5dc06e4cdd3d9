"""`EventPublisher` over FastStream: persistent, mandatory, confirmed publishes (§8).

A batch is published concurrently on the broker's confirm channel and every confirm is
awaited, so a batch costs about one broker round trip instead of one per message. Only
a `Basic.Ack` counts: a nack, a return (unroutable, raised thanks to the channel's
`on_return_raises`), a timeout or a connection loss leaves the message out of the result
and it stays unsent in the outbox. When nothing could be published and the connection
is down, `BrokerUnavailable` tells the relay to back off instead of spinning.

FastStream owns the connection, the confirm channel (publisher confirms and
`on_return_raises` set by `make_broker`) and the declaration of `EVENTS_EXCHANGE`.
Messages go out as `basic_publish` on that channel's current AMQP channel rather than
through `broker.publish()`: on the drain benchmark the relay, not the broker, is the
CPU bottleneck, and FastStream's per-message pipeline (command object, middlewares,
codec) plus aio-pika's Message wrapper cost ~40% more CPU per event than the publish
itself. The properties are the §8 set (message_id, persistent, content_type, the
traceparent header) plus `type` = event type; nothing else is encoded per message.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Sequence
from typing import Final, Protocol, cast
from uuid import UUID

import structlog
from aiormq import Channel
from aiormq.exceptions import AMQPError, ChannelInvalidStateError
from faststream.rabbit import RabbitBroker, RabbitExchange
from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.trace import Link, SpanContext, SpanKind, Status, StatusCode
from pamqp.commands import Basic
from pamqp.common import FieldTable
from wallet_domain.model.outbox_message import OutboxMessage
from wallet_domain.ports.event_publisher import BrokerUnavailable, EventPublisher

from wallet_infra.messaging.envelope import CONTENT_TYPE, encode_envelope
from wallet_infra.messaging.topology import EVENTS_EXCHANGE
from wallet_infra.telemetry import tracer

CONFIRM_TIMEOUT_S: Final = 10.0
READY_TIMEOUT_S: Final = 0.5
TRACEPARENT_HEADER: Final = "traceparent"
PERSISTENT: Final = 2  # AMQP delivery_mode: written to disk by the queue

# What getting hold of the channel raises while the connection is down or reconnecting.
_CONNECTION_ERRORS: Final = (TimeoutError, ConnectionError, AMQPError, ChannelInvalidStateError)

_NO_TRACE: Final = otel_context.Context()

_log = structlog.get_logger(__name__)


class PublishObserver(Protocol):
    """Told about every batch that reached the broker (metrics)."""

    def batch_published(self, *, confirmed: int, failed: int, seconds: float) -> None: ...


class FaststreamEventPublisher(EventPublisher):
    """Publishes outbox messages to `payments.events`, routing key = event type."""

    def __init__(
        self,
        *,
        broker: RabbitBroker,
        confirm_timeout_s: float = CONFIRM_TIMEOUT_S,
        ready_timeout_s: float = READY_TIMEOUT_S,
        exchange: RabbitExchange = EVENTS_EXCHANGE,
        observer: PublishObserver | None = None,
    ) -> None:
        self._broker = broker
        self._observer = observer
        self._exchange = exchange
        self._confirm_timeout_s = confirm_timeout_s
        self._ready_timeout_s = ready_timeout_s
        self._span_name = f"{exchange.name} publish"

    async def publish_batch(self, messages: Sequence[OutboxMessage]) -> set[UUID]:
        if not messages:
            return set()
        if not await self._broker.ping(self._ready_timeout_s):
            raise BrokerUnavailable("no connection to RabbitMQ")
        started = time.perf_counter()
        outcomes = await self._publish_all(messages)
        seconds = time.perf_counter() - started
        confirmed: set[UUID] = set()
        failures: Counter[str] = Counter()
        for message, outcome in zip(messages, outcomes, strict=True):
            if outcome is True:
                confirmed.add(message.event.event_id)
            else:
                failures[_reason(outcome)] += 1
        if self._observer is not None:
            self._observer.batch_published(
                confirmed=len(confirmed), failed=len(messages) - len(confirmed), seconds=seconds
            )
        if failures:
            _log.warning(
                "events not confirmed by the broker", count=sum(failures.values()), **failures
            )
            if not confirmed and not await self._broker.ping(self._ready_timeout_s):
                raise BrokerUnavailable("lost the connection to RabbitMQ while publishing")
        return confirmed

    async def _publish_all(self, messages: Sequence[OutboxMessage]) -> list[object]:
        """Each message's outcome: True (acked), False, or the exception it raised.

        One deadline for the whole batch rather than a timer per message: the confirms
        of a batch arrive together, and per-message timers cost more than the publish.
        """
        try:
            async with asyncio.timeout(self._ready_timeout_s):
                exchange = await self._broker.declare_exchange(self._exchange)
                # A robust channel waits here while it reconnects: bounded, then unavailable.
                underlay = await exchange.channel.get_underlay_channel()
        except _CONNECTION_ERRORS as error:
            raise BrokerUnavailable(f"RabbitMQ channel not ready: {type(error).__name__}") from None
        # aiormq's one channel class; typed as it, its basic_publish takes `wait`.
        channel = cast(Channel, underlay)
        batch = trace.get_current_span().get_span_context()
        span_tracer = tracer()
        tasks = [
            asyncio.create_task(self._publish(channel, message, span_tracer, batch))
            for message in messages
        ]
        try:
            _, pending = await asyncio.wait(tasks, timeout=self._confirm_timeout_s)
        finally:
            for task in tasks:
                task.cancel()
        if pending:
            await asyncio.wait(pending)
        return [
            TimeoutError() if task.cancelled() else (task.exception() or task.result())
            for task in tasks
        ]

    async def _publish(
        self,
        channel: Channel,
        message: OutboxMessage,
        span_tracer: trace.Tracer,
        batch: SpanContext,
    ) -> bool:
        """Publish in a PRODUCER span, child of the trace that wrote the event (the API
        request's, from the row's traceparent) and linked to the relay batch's span; the
        message's traceparent header is this span's, so consumers continue from it.

        The span is started and ended by hand, never made current: nothing runs inside
        it but the publish, and attaching/detaching a context per event is a measurable
        share of the relay's CPU."""
        event = message.event
        event_id = str(event.event_id)
        routing_key = event.event_type.value
        parent = (
            propagate.extract({TRACEPARENT_HEADER: message.traceparent})
            if message.traceparent is not None
            else _NO_TRACE  # no trace to join: the publish starts one
        )
        span = span_tracer.start_span(
            self._span_name,
            context=parent,
            kind=SpanKind.PRODUCER,
            links=[Link(batch)] if batch.is_valid else None,
            attributes={
                "messaging.system": "rabbitmq",
                "messaging.operation.type": "publish",
                "messaging.destination.name": self._exchange.name,
                "messaging.rabbitmq.destination.routing_key": routing_key,
                "messaging.message.id": event_id,
            },
        )
        try:
            carrier: dict[str, str] = {}
            propagate.inject(carrier, context=trace.set_span_in_context(span, parent))
            headers: FieldTable = {}
            traceparent = carrier.get(TRACEPARENT_HEADER, message.traceparent)
            if traceparent is not None:
                headers[TRACEPARENT_HEADER] = traceparent
            frame = await channel.basic_publish(
                encode_envelope(event),
                exchange=self._exchange.name,
                routing_key=routing_key,
                mandatory=True,
                properties=Basic.Properties(
                    delivery_mode=PERSISTENT,
                    message_id=event_id,
                    message_type=routing_key,
                    content_type=CONTENT_TYPE,
                    headers=headers,
                ),
                # Only the confirm matters; not waiting for the socket write to drain
                # saves a future and a wake-up per message.
                wait=False,
            )
        except Exception as error:
            span.record_exception(error)
            span.set_status(Status(StatusCode.ERROR, type(error).__name__))
            raise
        else:
            acked = isinstance(frame, Basic.Ack)
            span.set_attribute("messaging.rabbitmq.confirmed", acked)
            return acked
        finally:
            span.end()


def _reason(outcome: object) -> str:
    """A short, secret-free label for why a publish was not confirmed."""
    return type(outcome).__name__ if isinstance(outcome, BaseException) else "not_acked"
