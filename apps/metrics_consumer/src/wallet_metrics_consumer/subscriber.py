"""The metrics queue's subscriber: a thin inbound adapter from a delivery to the use case.

Acknowledgement is explicit (see `wallet_infra.consuming.delivery`): ack only after the
inbox record committed, nack with requeue on failure (dead-lettered after the queue's
delivery limit), reject a malformed message straight to the DLQ.
"""

from __future__ import annotations

from dishka import FromDishka
from dishka_faststream import inject
from faststream.rabbit import RabbitBroker
from wallet_domain.model.events import DomainEvent
from wallet_domain.use_cases.count_payment_event import (
    CountPaymentEvent,
    CountPaymentEventRequest,
)
from wallet_infra.consuming.delivery import ACK_POLICY, DeliveryHandler, raw_body
from wallet_infra.consuming.inline_context import Delivery, HandlerContext
from wallet_infra.messaging.topology import EVENTS_EXCHANGE, METRICS_QUEUE


def subscribe(broker: RabbitBroker) -> None:
    """Register the handler on `broker` (one broker per app, so tests can build many)."""

    @broker.subscriber(
        METRICS_QUEUE,
        EVENTS_EXCHANGE,
        ack_policy=ACK_POLICY,
        decoder=raw_body,
        title="metrics.queue:count",
        description="Counts payment events once each into the business metrics.",
    )
    @inject
    async def count_payment_event(
        message: Delivery,
        use_case: FromDishka[CountPaymentEvent],
        deliveries: FromDishka[DeliveryHandler],
        context: HandlerContext,  # where @inject finds the request container
    ) -> None:
        async def act(event: DomainEvent) -> bool:
            return (await use_case.execute(CountPaymentEventRequest(event=event))).counted

        await deliveries.handle(message, act)
