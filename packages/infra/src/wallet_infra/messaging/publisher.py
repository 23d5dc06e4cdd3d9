"""`EventPublisher` over FastStream: persistent, mandatory, confirmed publishes.

A batch goes to the broker's confirm channel as one write and every confirm is awaited,
so a batch costs about one broker round trip instead of one per message. Only
a `Basic.Ack` counts: a nack, a return (unroutable, raised thanks to the channel's
`on_return_raises`), a timeout or a connection loss leaves the message out of the result
and it stays unsent in the outbox. When nothing could be published and the connection
is down, `BrokerUnavailable` tells the relay to back off instead of spinning.

FastStream owns the connection, the confirm channel (publisher confirms and
`on_return_raises` set by `make_broker`) and the declaration of `EVENTS_EXCHANGE`.
Messages go out on that channel's current AMQP channel (`confirmed_batch`) rather than
through `broker.publish()`: on the drain benchmark the relay, not the broker, is the
CPU bottleneck, and FastStream's per-message pipeline (command object, middlewares,
codec) plus aio-pika's Message wrapper cost ~40% more CPU per event than the publish
itself, and aiormq's per-message `basic_publish` bookkeeping about as much again. The
properties are the documented set (message_id, persistent, content_type, the traceparent header)
plus `type` = event type; nothing else is encoded per message.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from typing import Final, Protocol
from uuid import UUID

import structlog
from faststream.rabbit import RabbitBroker, RabbitExchange
from opentelemetry import trace
from opentelemetry.trace import Link, SpanKind, Status, StatusCode
from pamqp.commands import Basic
from pamqp.common import FieldTable
from wallet_domain.model.outbox_message import OutboxMessage
from wallet_domain.ports.event_publisher import BrokerUnavailable, EventPublisher

from wallet_infra.messaging.confirm_channel import confirm_channel
from wallet_infra.messaging.confirmed_batch import OutgoingMessage, publish_confirmed
from wallet_infra.messaging.envelope import CONTENT_TYPE, encode_envelope
from wallet_infra.messaging.topology import EVENTS_EXCHANGE
from wallet_infra.telemetry import (
    TRACEPARENT,
    remote_parent,
    traceparent_of,
    tracer,
    tracing_active,
)
from wallet_infra.untraced_context import new_traceparent

CONFIRM_TIMEOUT_S: Final = 10.0
READY_TIMEOUT_S: Final = 0.5
PERSISTENT: Final = 2  # AMQP delivery_mode: written to disk by the queue

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
        """Each message's outcome: True (acked), False (nacked), or the exception that
        kept it from being confirmed.

        The whole batch goes to the broker as one write (`publish_confirmed`), and one
        deadline covers all its confirms: they arrive together, and per-message timers
        and tasks cost more than the publish.
        """
        channel = await confirm_channel(
            self._broker, self._exchange, ready_timeout_s=self._ready_timeout_s
        )
        spans = self._spans(messages)
        outgoing = [_outgoing(message, span) for message, span in zip(messages, spans, strict=True)]
        try:
            pending = await publish_confirmed(
                channel, exchange=self._exchange.name, messages=outgoing
            )
        except Exception as error:
            outcomes: list[object] = [error] * len(messages)
        else:
            settled = await pending.settle(self._confirm_timeout_s)
            outcomes = [_acked(outcome) for outcome in settled]
        _end_spans(spans, outcomes)
        return outcomes

    def _spans(self, messages: Sequence[OutboxMessage]) -> list[trace.Span | None]:
        """A PRODUCER span per message, child of the trace that wrote the event (the API
        request's, from the row's traceparent) and linked to the relay batch's span; the
        message's traceparent header is this span's, so consumers continue from it.

        Spans are started and ended by hand, never made current: nothing runs inside them
        but the publish. Without an SDK (tracing disabled) no span is made at all and the
        row's traceparent goes out unchanged, as the API's no-op span would have it."""
        if not tracing_active():
            return [None] * len(messages)
        batch = trace.get_current_span().get_span_context()
        links = [Link(batch)] if batch.is_valid else None
        span_tracer = tracer()
        return [
            span_tracer.start_span(
                self._span_name,
                context=remote_parent(message.traceparent),
                kind=SpanKind.PRODUCER,
                links=links,
                attributes={
                    "messaging.system": "rabbitmq",
                    "messaging.operation.type": "publish",
                    "messaging.destination.name": self._exchange.name,
                    "messaging.rabbitmq.destination.routing_key": message.event.event_type.value,
                    "messaging.message.id": str(message.event.event_id),
                },
            )
            for message in messages
        ]


def _outgoing(message: OutboxMessage, span: trace.Span | None) -> OutgoingMessage:
    """The AMQP message (docs/events.md): envelope body, persistent, message_id =
    event_id, the type, and the traceparent header of the publish span (else the row's,
    else a new trace's)."""
    event = message.event
    routing_key = event.event_type.value
    traceparent = message.traceparent if span is None else traceparent_of(span)
    # Every message carries one (docs/events.md); a row written without one (before the
    # API kept a trace context with tracing off) starts a trace of its own.
    headers: FieldTable = {TRACEPARENT: traceparent or new_traceparent()}
    return OutgoingMessage(
        body=encode_envelope(event),
        routing_key=routing_key,
        properties=Basic.Properties(
            delivery_mode=PERSISTENT,
            message_id=str(event.event_id),
            message_type=routing_key,
            content_type=CONTENT_TYPE,
            headers=headers,
        ),
    )


def _acked(settled: object) -> object:
    """A settled confirm as an outcome: True for an ack, False for a nack, else the error."""
    return settled if isinstance(settled, BaseException) else isinstance(settled, Basic.Ack)


def _end_spans(spans: Sequence[trace.Span | None], outcomes: Sequence[object]) -> None:
    for span, outcome in zip(spans, outcomes, strict=True):
        if span is None:
            continue
        if isinstance(outcome, BaseException):
            span.record_exception(outcome)
            span.set_status(Status(StatusCode.ERROR, type(outcome).__name__))
        else:
            span.set_attribute("messaging.rabbitmq.confirmed", outcome is True)
        span.end()


def _reason(outcome: object) -> str:
    """A short, secret-free label for why a publish was not confirmed."""
    return type(outcome).__name__ if isinstance(outcome, BaseException) else "not_acked"
