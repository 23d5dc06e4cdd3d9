"""The audit queue's subscriber: a thin inbound adapter from a delivery to the use case.

Acknowledgement is explicit (see `wallet_infra.consuming.delivery`): ack only after the
audit row committed (or was already there), reject with requeue on failure (dead-lettered
after the queue's delivery limit), reject a malformed message straight to the DLQ. The
use case and the delivery handler are APP-scoped, resolved once at start-up.
"""

from __future__ import annotations

from faststream.rabbit import RabbitBroker
from wallet_domain.model.events import DomainEvent
from wallet_domain.use_cases.record_audit_event import RecordAuditEvent, RecordAuditEventRequest
from wallet_infra.consuming.delivery import ACK_POLICY, Delivery, DeliveryHandler, the_delivery
from wallet_infra.consuming.startup_dependencies import StartupDependencies
from wallet_infra.messaging.topology import AUDIT_QUEUE, EVENTS_EXCHANGE


def subscribe(broker: RabbitBroker, dependencies: StartupDependencies) -> None:
    """Register the handler on `broker` (one broker per app, so tests can build many)."""
    use_case = dependencies.later(RecordAuditEvent)
    deliveries = dependencies.later(DeliveryHandler)

    async def act(event: DomainEvent) -> bool:
        return (await use_case().execute(RecordAuditEventRequest(event=event))).new

    @broker.subscriber(
        AUDIT_QUEUE,
        EVENTS_EXCHANGE,
        ack_policy=ACK_POLICY,
        decoder=the_delivery,
        no_reply=True,  # never answers a reply_to (see wallet_infra.consuming.delivery)
        title="audit.queue:record",
        description=(
            "Appends payment, refund, deposit, hold, transfer and dispute events to the audit log."
        ),
    )
    async def record_audit_event(message: Delivery) -> None:
        await deliveries().handle(message, act)
