"""Hand one verified provider webhook to RabbitMQ, and say so only once the broker confirmed.

The ingest service answers the provider 202 after `publish` returns, so returning means
the body sits in a durable queue: published persistent and `mandatory` to
`gateway.webhooks` on a confirm channel, and acknowledged (`Basic.Ack`) by the broker.
Anything else raises `WebhookNotPublished` with a short reason, and the provider is told
to retry (503):

- `broker_unavailable`: no connection, or the channel is not ready within the ready timeout;
- `unroutable`: the broker returned the message (no queue bound: the topology is missing);
- `nacked`: the broker refused it;
- `timeout`: no confirm within the confirm timeout (the broker may still have it; the
  provider's retry then delivers a duplicate, which the consumer recognises by id).

The message: the body exactly as received (the consumer decodes what was verified, byte
for byte), `message_id` = the `webhook-id`, `type` and routing key = the event type,
`content_type` application/json, `timestamp` = acceptance time (the consumer's lag), and
the W3C `traceparent` of the publish span. AMQP holds each of those names in at most 255
bytes, and one that does not fit would fail the whole batch's write: a longer type goes
as `unsupported` (the wallet acts on none that long) and a longer id as its SHA-256 (the
consumer recognises repeats by the body's `provider_event_id`, not by this).

Webhooks arriving together share a write: each request queues its message, and once per
turn of the event loop whatever is queued goes out through `confirmed_batch` as one batch
on the broker's confirm channel (like the relay's events), each request then waiting for
its own confirm. One socket write per message cost the ingest most of its CPU under load;
a lone webhook still goes out at once (no lingering).

Two copies of one webhook (a provider retrying while its first attempt is in flight) are
never in flight together: aiormq finds a returned message's confirm by `message_id` alone,
one entry per id, so the second copy would take the first's entry, the return would fail
the second and the first's ack would answer 202 for a body no queue holds. A copy waits
until the one before it has settled (confirmed, refused or given up, whether or not its
request is still there), then publishes and answers for its own body: after a refused
first copy the second still gets its own chance.
"""

from __future__ import annotations

import asyncio
import hashlib
from datetime import UTC, datetime
from typing import Final

import structlog
from aiormq.exceptions import PublishError
from faststream.rabbit import RabbitBroker, RabbitExchange
from opentelemetry.trace import SpanKind, Status, StatusCode
from pamqp.commands import Basic
from pamqp.common import FieldTable
from wallet_domain.model.provider_event_label import UNSUPPORTED_LABEL
from wallet_domain.ports.event_publisher import BrokerUnavailable

from wallet_infra.messaging.confirm_channel import confirm_channel
from wallet_infra.messaging.confirmed_batch import OutgoingMessage, publish_confirmed
from wallet_infra.messaging.envelope import CONTENT_TYPE
from wallet_infra.messaging.publisher import PERSISTENT
from wallet_infra.messaging.topology import WEBHOOKS_EXCHANGE
from wallet_infra.telemetry import TRACEPARENT, current_traceparent, tracer

CONFIRM_TIMEOUT_S: Final = 5.0
SHORTSTR_MAX_BYTES: Final = 255  # AMQP's limit on a routing key, message id or type
READY_TIMEOUT_S: Final = 0.5

_log = structlog.get_logger(__name__)


class WebhookNotPublished(Exception):
    """The broker did not confirm the webhook; `reason` is a fixed, secret-free word."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ConfirmedWebhookPublisher:
    """One per ingest process, on its broker. Every publish waits the same confirm timeout
    (`confirmed_batch` relies on it to drop late confirms safely)."""

    def __init__(
        self,
        *,
        broker: RabbitBroker,
        confirm_timeout_s: float = CONFIRM_TIMEOUT_S,
        ready_timeout_s: float = READY_TIMEOUT_S,
        exchange: RabbitExchange = WEBHOOKS_EXCHANGE,
    ) -> None:
        self._broker = broker
        self._exchange = exchange
        self._confirm_timeout_s = confirm_timeout_s
        self._ready_timeout_s = ready_timeout_s
        self._span_name = f"{exchange.name} publish"
        # Webhooks waiting for the next write, and the writes awaiting their confirms.
        self._waiting: list[tuple[OutgoingMessage, asyncio.Future[object]]] = []
        self._flush_scheduled = False
        self._flushing: set[asyncio.Task[None]] = set()
        # Message id -> a future set once that copy's batch has settled: the next copy's turn.
        self._in_flight: dict[str, asyncio.Future[None]] = {}

    async def publish(self, body: bytes, *, webhook_id: str, event_type: str) -> None:
        """Return once the broker confirmed `body`; else raise `WebhookNotPublished`."""
        with tracer().start_as_current_span(
            self._span_name,
            kind=SpanKind.PRODUCER,
            attributes={
                "messaging.system": "rabbitmq",
                "messaging.operation.type": "publish",
                "messaging.destination.name": self._exchange.name,
                "messaging.rabbitmq.destination.routing_key": event_type,
                "messaging.message.id": webhook_id,
            },
        ) as span:
            try:
                await self._publish(body, webhook_id=webhook_id, event_type=event_type)
            except WebhookNotPublished as refused:
                span.set_status(Status(StatusCode.ERROR, refused.reason))
                raise

    async def _publish(self, body: bytes, *, webhook_id: str, event_type: str) -> None:
        message = _message(body, webhook_id=webhook_id, event_type=event_type)
        message_id = str(message.properties.message_id)
        while (earlier := self._in_flight.get(message_id)) is not None:
            # Not `await earlier`: this request's cancellation must not cancel the turn.
            await asyncio.wait((earlier,))
        # No await from here until the message is queued: the turn is this copy's until its
        # batch settles (`_flush` hands it on, even if this request is gone by then).
        loop = asyncio.get_running_loop()
        self._in_flight[message_id] = loop.create_future()
        confirmed = loop.create_future()
        self._waiting.append((message, confirmed))
        if not self._flush_scheduled:
            self._flush_scheduled = True
            asyncio.get_running_loop().call_soon(self._start_flush)
        outcome = await confirmed
        if not isinstance(outcome, Basic.Ack):
            raise WebhookNotPublished(_reason(outcome))

    def _start_flush(self) -> None:
        self._flush_scheduled = False
        batch, self._waiting = self._waiting, []
        task = asyncio.get_running_loop().create_task(self._flush(batch))
        self._flushing.add(task)
        task.add_done_callback(self._flushing.discard)

    async def _flush(self, batch: list[tuple[OutgoingMessage, asyncio.Future[object]]]) -> None:
        """Publish every webhook that arrived in the same turn of the event loop as one
        write, and hand each its own confirm (or the reason it has none)."""
        try:
            outcomes = await self._outcomes([message for message, _ in batch])
            for (_, confirmed), outcome in zip(batch, outcomes, strict=True):
                if not confirmed.done():  # its request may have gone (client disconnected)
                    confirmed.set_result(outcome)
        finally:
            # Settled or given up, the batch is out of aiormq's bookkeeping: next copies go.
            for message, _ in batch:
                turn = self._in_flight.pop(str(message.properties.message_id), None)
                if turn is not None:
                    turn.set_result(None)

    async def _outcomes(self, messages: list[OutgoingMessage]) -> list[object]:
        try:
            return await self._publish_batch(messages)
        except WebhookNotPublished as refused:
            return [refused] * len(messages)
        except Exception as error:  # whatever it was, no request may wait forever
            _log.error("webhook_publish_failed", error=type(error).__name__, count=len(messages))
            return [WebhookNotPublished("broker_unavailable")] * len(messages)

    async def _publish_batch(self, messages: list[OutgoingMessage]) -> list[object]:
        if not await self._broker.ping(self._ready_timeout_s):
            raise WebhookNotPublished("broker_unavailable")
        try:
            channel = await confirm_channel(
                self._broker, self._exchange, ready_timeout_s=self._ready_timeout_s
            )
        except BrokerUnavailable:
            raise WebhookNotPublished("broker_unavailable") from None
        try:
            pending = await publish_confirmed(
                channel, exchange=self._exchange.name, messages=messages
            )
        except Exception:
            raise WebhookNotPublished("broker_unavailable") from None
        return await pending.settle(self._confirm_timeout_s)


def _message(body: bytes, *, webhook_id: str, event_type: str) -> OutgoingMessage:
    headers: FieldTable = {TRACEPARENT: current_traceparent()}
    if not _fits(event_type):
        event_type = UNSUPPORTED_LABEL
    if not _fits(webhook_id):
        webhook_id = hashlib.sha256(webhook_id.encode()).hexdigest()
    return OutgoingMessage(
        body=body,
        routing_key=event_type,
        properties=Basic.Properties(
            delivery_mode=PERSISTENT,
            message_id=webhook_id,
            message_type=event_type,
            content_type=CONTENT_TYPE,
            timestamp=datetime.now(UTC),
            headers=headers,
        ),
    )


def _fits(name: str) -> bool:
    return len(name) * 4 <= SHORTSTR_MAX_BYTES or len(name.encode()) <= SHORTSTR_MAX_BYTES


def _reason(outcome: object) -> str:
    if isinstance(outcome, WebhookNotPublished):
        return outcome.reason
    if isinstance(outcome, Basic.Nack):
        return "nacked"
    if isinstance(outcome, PublishError):
        return "unroutable"
    if isinstance(outcome, TimeoutError):
        return "timeout"
    return "broker_unavailable"
