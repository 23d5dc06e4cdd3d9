"""The audit queue's subscriber: a thin inbound adapter from a delivery to the use case.

Acknowledgement is explicit (see `wallet_infra.consuming.delivery`): ack only after the
audit row committed (or was already there), nack with requeue on failure (dead-lettered
after the queue's delivery limit), reject a malformed message straight to the DLQ.
"""

from __future__ import annotations

from dishka import FromDishka
from dishka_faststream import inject
from faststream.rabbit import RabbitBroker
from wallet_domain.model.events import DomainEvent
from wallet_domain.use_cases.record_audit_event import RecordAuditEvent, RecordAuditEventRequest
from wallet_infra.consuming.delivery import ACK_POLICY, DeliveryHandler, raw_body
from wallet_infra.consuming.inline_context import Delivery, HandlerContext
from wallet_infra.messaging.topology import AUDIT_QUEUE, EVENTS_EXCHANGE


def subscribe(broker: RabbitBroker) -> None:
    """Register the handler on `broker` (one broker per app, so tests can build many)."""

    @broker.subscriber(
        AUDIT_QUEUE,
        EVENTS_EXCHANGE,
        ack_policy=ACK_POLICY,
        decoder=raw_body,
        title="audit.queue:record",
        description="Appends payment, refund and deposit events to the audit log once each.",
    )
    @inject
    async def record_audit_event(
        message: Delivery,
        use_case: FromDishka[RecordAuditEvent],
        deliveries: FromDishka[DeliveryHandler],
        context: HandlerContext,  # where @inject finds the request container
    ) -> None:
        async def act(event: DomainEvent) -> bool:
            return (await use_case.execute(RecordAuditEventRequest(event=event))).new

        await deliveries.handle(message, act)
