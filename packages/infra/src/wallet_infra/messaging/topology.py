"""The RabbitMQ topology (docs/events.md), declared in exactly one place.

Every process (relay, consumers, tests) declares the same objects at start-up, because
RabbitMQ refuses a re-declaration whose arguments differ (PRECONDITION_FAILED): keeping
them here, as module constants, is what makes the declaration idempotent everywhere.

The work queues are quorum queues: replicated, and they count deliveries, so a poison
message is dead-lettered after `DELIVERY_LIMIT` attempts instead of being redelivered
forever. Dead-lettering is `at-least-once` (RabbitMQ ≥ 3.10, needs `reject-publish`
overflow), so a message on its way to a DLQ is never dropped.

Provider webhooks (broker mode) travel apart from the platform's own events: the ingest
service publishes each verified webhook body to `gateway.webhooks` (topic, routing key =
the provider's event type) and `webhooks.queue`, bound to every key, feeds the webhook
consumer. Its DLQ hangs off the same dead-letter exchange as the others, so the operators'
DLQ tool lists and replays it like any other.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from faststream.rabbit import ExchangeType, QueueType, RabbitBroker, RabbitExchange, RabbitQueue

DELIVERY_LIMIT: Final = 5

EVENTS_EXCHANGE: Final = RabbitExchange("payments.events", type=ExchangeType.TOPIC, durable=True)
DEAD_LETTER_EXCHANGE: Final = RabbitExchange(
    "payments.events.dlx", type=ExchangeType.DIRECT, durable=True
)

WEBHOOKS_EXCHANGE: Final = RabbitExchange("gateway.webhooks", type=ExchangeType.TOPIC, durable=True)

METRICS_QUEUE_NAME: Final = "metrics.queue"
AUDIT_QUEUE_NAME: Final = "audit.queue"
METRICS_DLQ_NAME: Final = "metrics.queue.dlq"
AUDIT_DLQ_NAME: Final = "audit.queue.dlq"
WEBHOOKS_QUEUE_NAME: Final = "webhooks.queue"
WEBHOOKS_DLQ_NAME: Final = "webhooks.queue.dlq"

QUEUE_BINDINGS: Final[Mapping[str, tuple[str, ...]]] = MappingProxyType(
    {
        METRICS_QUEUE_NAME: ("payment.*", "deposit.*", "hold.*", "transfer.*", "dispute.*"),
        AUDIT_QUEUE_NAME: (
            "payment.*",
            "refund.*",
            "deposit.*",
            "hold.*",
            "transfer.*",
            "dispute.*",
        ),
    }
)
# Every provider event type, the ones we do not act on too: the consumer acknowledges and
# counts those, so the provider can add types without anything piling up unrouted.
WEBHOOKS_BINDING: Final = "#"


def _work_queue(name: str, dlq: str, *, routing_key: str | None = None) -> RabbitQueue:
    """A quorum queue bound (first key) to its exchange, dead-lettering to `dlq`.

    FastStream's RabbitQueue carries one routing key, which is what a subscriber binds
    with; `declare_topology` adds the queue's other keys.
    """
    return RabbitQueue(
        name,
        QueueType.QUORUM,
        durable=True,
        routing_key=QUEUE_BINDINGS[name][0] if routing_key is None else routing_key,
        arguments={
            "x-delivery-limit": DELIVERY_LIMIT,
            "x-dead-letter-exchange": DEAD_LETTER_EXCHANGE.name,
            "x-dead-letter-routing-key": dlq,
            "x-dead-letter-strategy": "at-least-once",
            "x-overflow": "reject-publish",
        },
    )


def _dead_letter_queue(name: str) -> RabbitQueue:
    """A durable quorum queue holding poison messages for an operator to inspect."""
    return RabbitQueue(name, QueueType.QUORUM, durable=True, routing_key=name)


METRICS_QUEUE: Final = _work_queue(METRICS_QUEUE_NAME, METRICS_DLQ_NAME)
AUDIT_QUEUE: Final = _work_queue(AUDIT_QUEUE_NAME, AUDIT_DLQ_NAME)
WEBHOOKS_QUEUE: Final = _work_queue(
    WEBHOOKS_QUEUE_NAME, WEBHOOKS_DLQ_NAME, routing_key=WEBHOOKS_BINDING
)
METRICS_DLQ: Final = _dead_letter_queue(METRICS_DLQ_NAME)
AUDIT_DLQ: Final = _dead_letter_queue(AUDIT_DLQ_NAME)
WEBHOOKS_DLQ: Final = _dead_letter_queue(WEBHOOKS_DLQ_NAME)

WORK_QUEUES: Final = (METRICS_QUEUE, AUDIT_QUEUE)
DEAD_LETTER_QUEUES: Final = (METRICS_DLQ, AUDIT_DLQ, WEBHOOKS_DLQ)


async def declare_topology(broker: RabbitBroker) -> None:
    """Declare every exchange, queue and binding on a connected `broker`.

    Safe to call from any number of processes, any number of times: declarations with
    identical arguments and existing bindings are no-ops in RabbitMQ. The objects are
    robust, so aio-pika re-declares them after a reconnect.
    """
    events = await broker.declare_exchange(EVENTS_EXCHANGE)
    dead_letters = await broker.declare_exchange(DEAD_LETTER_EXCHANGE)
    for dlq in DEAD_LETTER_QUEUES:
        declared = await broker.declare_queue(dlq)
        await declared.bind(dead_letters, routing_key=dlq.routing())
    for queue in WORK_QUEUES:
        declared = await broker.declare_queue(queue)
        for routing_key in QUEUE_BINDINGS[queue.name]:
            await declared.bind(events, routing_key=routing_key)
    webhooks = await broker.declare_exchange(WEBHOOKS_EXCHANGE)
    declared = await broker.declare_queue(WEBHOOKS_QUEUE)
    await declared.bind(webhooks, routing_key=WEBHOOKS_BINDING)


__all__ = [
    "AUDIT_DLQ",
    "AUDIT_DLQ_NAME",
    "AUDIT_QUEUE",
    "AUDIT_QUEUE_NAME",
    "DEAD_LETTER_EXCHANGE",
    "DEAD_LETTER_QUEUES",
    "DELIVERY_LIMIT",
    "EVENTS_EXCHANGE",
    "METRICS_DLQ",
    "METRICS_DLQ_NAME",
    "METRICS_QUEUE",
    "METRICS_QUEUE_NAME",
    "QUEUE_BINDINGS",
    "WEBHOOKS_BINDING",
    "WEBHOOKS_DLQ",
    "WEBHOOKS_DLQ_NAME",
    "WEBHOOKS_EXCHANGE",
    "WEBHOOKS_QUEUE",
    "WEBHOOKS_QUEUE_NAME",
    "WORK_QUEUES",
    "declare_topology",
]
