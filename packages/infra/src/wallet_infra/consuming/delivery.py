"""How a consumer answers a delivery: ack only after the side effect committed.

A consumer's handler goes through `DeliveryHandler.handle`, which makes every outcome
explicit:

- the use case committed its effect, or found the event already handled (a
  redelivery): **ack**;
- a body that is not a valid event envelope (`MalformedEvent`) or a payload that contradicts its
  event type (`UnreadableEvent`): **reject without requeue**, so the queue dead-letters
  it at once: retrying cannot make it readable;
- any other failure (database down, a bug, a constraint): **reject with requeue** after
  a growing pause. The quorum queue counts deliveries and dead-letters the message once it
  was delivered more than `DELIVERY_LIMIT` times, so a message that keeps failing ends
  in the DLQ, never dropped and never redelivered forever; the pause keeps a short outage
  from burning through the limit in milliseconds. Other deliveries keep flowing
  meanwhile (each runs in its own task, up to the prefetch count);
- cancellation (shutdown): no answer; the broker requeues the delivery when the channel
  closes, and the consumer's idempotency makes the redelivery harmless.

What fails outside those rules (a middleware, FastStream's own parsing or filtering, a bug
in the handler's framing) is answered by the subscriber's `ACK_POLICY`,
`AckPolicy.REJECT_ON_ERROR`: rejected without requeue, so dead-lettered at once (FastStream
logs the traceback). Never a nack: from RabbitMQ 4.3 a `basic.nack` with requeue is not
counted toward the quorum queue's delivery limit, so a message failing there every time
would come back forever. Such a failure is a function of the message (what the use case
could retry is inside the rules), and the DLQ keeps it for a replay. Subscribers also run
with `no_reply=True`: FastStream would otherwise publish the handler's result to a
delivery's `reply_to` after the work committed, and fail the delivery that had worked when
that reply cannot be routed.

A trace header that is not text (not what the relay writes) is ignored: it costs the
handling its parent span, not the event its handling.

Each outcome of the handler is counted in `wallet_consumer_deliveries_total{queue,outcome}`,
so operators see retries and dead-letters (and tests see when every delivery was handled);
a rejection by the ack policy is not (the DLQ depth gauge and FastStream's log show it).

What a body is, is the queue's business: `handle` reads the platform's event envelope
(`EnvelopeReader`); `handle_with` takes another `EventReader` (the webhook consumer reads
provider events), with the same acknowledgement rules.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, Final, NoReturn, Protocol, TypeVar

import structlog
from faststream import Context
from faststream.exceptions import RejectMessage
from faststream.message import StreamMessage
from faststream.middlewares import AckPolicy
from faststream.rabbit.message import RabbitMessage
from opentelemetry import propagate
from opentelemetry.propagators.textmap import Getter
from opentelemetry.trace import SpanKind, Status, StatusCode
from prometheus_client import CollectorRegistry, Counter, Histogram
from wallet_domain.model.events import DomainEvent
from wallet_domain.model.settled_payment import UnreadableEvent

from wallet_infra.messaging.envelope import MalformedEvent, decode_envelope
from wallet_infra.messaging.topology import DELIVERY_LIMIT
from wallet_infra.telemetry import TRACEPARENT, tracer

ACK_POLICY: Final = AckPolicy.REJECT_ON_ERROR
# Consumer lag: seconds from the event's occurred_at (the API's commit) to its handling.
LAG_BUCKETS: Final = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
DELIVERY_COUNT_HEADER: Final = "x-delivery-count"  # set by quorum queues on redeliveries

E = TypeVar("E")

# Runs the use case on the event; True if it had an effect, False for an event already
# handled before.
Action = Callable[[E], Awaitable[bool]]

_log = structlog.get_logger("wallet.consumer")


class Outcome(StrEnum):
    PROCESSED = "processed"  # effect committed; acked
    DUPLICATE = "duplicate"  # handled before; acked, nothing done
    RETRIED = "retried"  # failed; rejected with requeue, for redelivery
    DEAD_LETTERED = "dead_lettered"  # rejected, or failed on the last allowed delivery


@dataclass(frozen=True, slots=True, kw_only=True)
class RetryPause:
    """Pause before handing a failed delivery back: `first_s` doubling per earlier
    delivery, at most `max_s`.

    The defaults let a message ride out about 15 s of trouble (a database restart)
    before its `DELIVERY_LIMIT` deliveries are spent. Pausing is cheap: only the failing
    delivery waits, holding one prefetch slot; the others keep flowing.
    """

    first_s: float = 0.5
    max_s: float = 10.0

    def seconds(self, earlier_deliveries: int) -> float:
        return min(self.first_s * 2.0 ** min(earlier_deliveries, 32), self.max_s)


def earlier_deliveries(message: StreamMessage[Any]) -> int:
    """How many times the queue delivered this message before (0 on the first delivery)."""
    value = message.headers.get(DELIVERY_COUNT_HEADER, 0)
    return value if isinstance(value, int) and value >= 0 else 0


def trace_id(message: StreamMessage[Any]) -> str | None:
    """The trace id of a W3C `traceparent` header (`00-<trace_id>-<span_id>-<flags>`)."""
    value = message.headers.get(TRACEPARENT)
    parts = value.split("-") if isinstance(value, str) else []
    return parts[1] if len(parts) == 4 and len(parts[1]) == 32 else None


class _TextHeaders(Getter[Mapping[str, Any]]):
    """Reads trace context from a delivery's text headers only. AMQP headers can hold
    numbers and bytes, on which the W3C propagators raise (`re.search` on an int): that
    would fail the delivery before the handler's rules, for a header that is metadata."""

    def get(self, carrier: Mapping[str, Any], key: str) -> list[str] | None:
        value = carrier.get(key)
        return [value] if isinstance(value, str) else None

    def keys(self, carrier: Mapping[str, Any]) -> list[str]:
        return list(carrier)


_TEXT_HEADERS: Final = _TextHeaders()


# What a consumer's handler is called with: the delivery itself (see `the_delivery`).
# Marked as FastStream's "message" context entry, which it is, so the AsyncAPI document
# shows the handler taking no payload of its own; without FastDepends nothing resolves the
# marker: the handler gets its decoder's result.
Delivery = Annotated[RabbitMessage, Context("message")]


async def the_delivery(message: StreamMessage[Any]) -> StreamMessage[Any]:
    """Subscriber decoder: the handler's one argument is the delivery itself.

    The consumer brokers run without FastDepends (`make_broker(apply_types=False)`):
    resolving the handler's parameters (its task group, its model, its context lookup)
    cost 15-25% of a consumer's CPU per delivery, to hand over one value FastStream
    already has. Without it, FastStream calls the handler with what the decoder returns.
    Nothing parses the body before `DeliveryHandler` either, so a body that is not JSON
    is rejected there, not nacked for redelivery by FastStream's JSON decoder.

    FastStream caches a decoder's result on the message, here the message itself: a
    reference cycle, which only the garbage collector would free. `handle_with` clears
    that cache once the delivery is handled, so each message is freed when it ends."""
    return message


class EventReader(Protocol[E]):
    """How a queue's bodies become the events its use case takes."""

    def decode(self, body: bytes) -> E:
        """The event; `MalformedEvent` when the body is not one (dead-lettered)."""
        ...

    def sent_at(self, message: StreamMessage[Any], event: E) -> datetime | None:
        """When the pipeline took the event in (the start of the consumer lag), if known."""
        ...

    def log_fields(self, event: E) -> dict[str, Any]:
        """What a failure's log line says about the event (ids and type, no payload)."""
        ...


class EnvelopeReader(EventReader[DomainEvent]):
    """The platform's event envelope (`wallet_infra.messaging.envelope`)."""

    def decode(self, body: bytes) -> DomainEvent:
        return decode_envelope(body)

    def sent_at(self, message: StreamMessage[Any], event: DomainEvent) -> datetime | None:
        return event.occurred_at  # the API's commit

    def log_fields(self, event: DomainEvent) -> dict[str, Any]:
        return {
            "event_id": str(event.event_id),
            "event_type": event.event_type.value,
            "user_id": event.user_id,
        }


ENVELOPES: Final = EnvelopeReader()


class DeliveryHandler:
    """Decodes a delivery, runs the use case, and raises what the ack middleware must do
    (returning means ack). One per consumer process, for its one queue."""

    def __init__(
        self, *, queue: str, registry: CollectorRegistry, pause: RetryPause = RetryPause()
    ) -> None:
        self._queue = queue
        self._pause = pause
        outcomes = Counter(
            "wallet_consumer_deliveries",
            "Deliveries handled by this process, by queue and outcome.",
            ["queue", "outcome"],
            registry=registry,
        )
        self._outcomes = {outcome: outcomes.labels(queue, outcome.value) for outcome in Outcome}
        self._lag = Histogram(
            "wallet_consumer_lag_seconds",
            "Seconds from an event's entry into the pipeline (an event's occurred_at, a "
            "webhook's acceptance) to its handling here (first deliveries).",
            ["queue"],
            registry=registry,
            buckets=LAG_BUCKETS,
        ).labels(queue)

    async def handle(self, message: StreamMessage[Any], act: Action[DomainEvent]) -> None:
        """Handle an event envelope (see `handle_with`)."""
        await self.handle_with(message, ENVELOPES, act)

    async def handle_with(
        self, message: StreamMessage[Any], reader: EventReader[E], act: Action[E]
    ) -> None:
        """Handle in a CONSUMER span, child of the publisher's span (the message's
        traceparent), so the handling and its DB spans join the trace that sent it."""
        with tracer().start_as_current_span(
            f"{self._queue} process",
            context=propagate.extract(message.headers, getter=_TEXT_HEADERS),
            kind=SpanKind.CONSUMER,
            attributes={
                "messaging.system": "rabbitmq",
                "messaging.operation.type": "process",
                "messaging.destination.name": self._queue,
                "messaging.message.id": str(message.message_id),
                "messaging.rabbitmq.delivery_count": earlier_deliveries(message) + 1,
            },
        ) as span:
            try:
                await self._handle(message, reader, act)
            except RejectMessage as rejected:
                requeued = rejected.extra_options.get("requeue", False)
                span.set_status(
                    Status(StatusCode.ERROR, "retried" if requeued else "dead_lettered")
                )
                raise
            finally:
                message.clear_cache()  # the decoder's result, the message itself (a cycle)

    async def _handle(
        self, message: StreamMessage[Any], reader: EventReader[E], act: Action[E]
    ) -> None:
        delivered_before = earlier_deliveries(message)
        try:
            event = reader.decode(message.body)
        except MalformedEvent as exc:
            _log.error("event_malformed_dead_lettered", reason=str(exc), queue=self._queue)
            self._outcomes[Outcome.DEAD_LETTERED].inc()
            raise RejectMessage(requeue=False) from None
        sent_at = reader.sent_at(message, event)
        # A redelivery's lag is the retry pauses, not the pipeline.
        if not delivered_before and sent_at is not None:
            self._lag.observe(max(0.0, (datetime.now(UTC) - sent_at).total_seconds()))
        try:
            effect = await act(event)
        except UnreadableEvent:
            _log.error("event_unreadable_dead_lettered", **self._fields(message, reader, event))
            self._outcomes[Outcome.DEAD_LETTERED].inc()
            raise RejectMessage(requeue=False) from None
        except Exception as exc:
            fields = self._fields(message, reader, event)
            await self._retry_later(exc, delivered_before, fields)
        self._outcomes[Outcome.PROCESSED if effect else Outcome.DUPLICATE].inc()

    def _fields(
        self, message: StreamMessage[Any], reader: EventReader[E], event: E
    ) -> dict[str, Any]:
        """What a failure's log line says about the delivery (built only when one is
        logged: binding them for every delivery cost more than the rare line they serve)."""
        return {"queue": self._queue, **reader.log_fields(event), "trace_id": trace_id(message)}

    async def _retry_later(
        self, error: Exception, delivered_before: int, fields: dict[str, Any]
    ) -> NoReturn:
        """Reject for redelivery. A retry logs the error's type only (its text may carry
        SQL and payload data, and tracebacks are costly at a retry rate); the last
        allowed delivery, which the queue dead-letters, logs the full traceback once and
        skips the pause, which would only delay the DLQ."""
        delivery = {"delivery": delivered_before + 1, "delivery_limit": DELIVERY_LIMIT}
        if delivered_before >= DELIVERY_LIMIT:
            _log.error("event_failed_dead_lettered", exc_info=error, **fields, **delivery)
            self._outcomes[Outcome.DEAD_LETTERED].inc()
        else:
            _log.warning(
                "event_failed_will_retry", error=type(error).__name__, **fields, **delivery
            )
            self._outcomes[Outcome.RETRIED].inc()
            await asyncio.sleep(self._pause.seconds(delivered_before))
        # basic.reject, not basic.nack: from RabbitMQ 4.3 a quorum queue counts only a
        # reject toward `x-delivery-count` (a nack means "not processed", not "failed"), so
        # with a nack a poison message would be redelivered forever, never dead-lettered.
        raise RejectMessage(requeue=True)
