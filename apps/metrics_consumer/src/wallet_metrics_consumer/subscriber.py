"""The metrics queue's subscriber: a thin inbound adapter from a delivery to the use case.

Acknowledgement is explicit (see `wallet_infra.consuming.delivery`): ack only after the
inbox record committed, reject with requeue on failure (dead-lettered after the queue's
delivery limit), reject a malformed message straight to the DLQ. The use case and the
delivery handler are APP-scoped, resolved once at start-up.
"""

from __future__ import annotations

from faststream.rabbit import RabbitBroker
from wallet_domain.model.events import DomainEvent
from wallet_domain.use_cases.count_payment_event import (
    CountPaymentEvent,
    CountPaymentEventRequest,
)
from wallet_infra.consuming.delivery import ACK_POLICY, Delivery, DeliveryHandler, the_delivery
from wallet_infra.consuming.startup_dependencies import StartupDependencies
from wallet_infra.messaging.topology import EVENTS_EXCHANGE, METRICS_QUEUE


def subscribe(broker: RabbitBroker, dependencies: StartupDependencies) -> None:
    """Register the handler on `broker` (one broker per app, so tests can build many)."""
    use_case = dependencies.later(CountPaymentEvent)
    deliveries = dependencies.later(DeliveryHandler)

    async def act(event: DomainEvent) -> bool:
        return (await use_case().execute(CountPaymentEventRequest(event=event))).counted

    @broker.subscriber(
        METRICS_QUEUE,
        EVENTS_EXCHANGE,
        ack_policy=ACK_POLICY,
        decoder=the_delivery,
        no_reply=True,  # never answers a reply_to (see wallet_infra.consuming.delivery)
        title="metrics.queue:count",
        description=(
            "Counts payment, deposit, hold, transfer and dispute events once each into the"
            " business metrics."
        ),
    )
    async def count_payment_event(message: Delivery) -> None:
        await deliveries().handle(message, act)
