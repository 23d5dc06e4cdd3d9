"""The webhook queue's subscriber: a thin inbound adapter from a delivery to the use case.

Acknowledgement is explicit (see `wallet_infra.consuming.delivery`): ack only after the
event's transaction committed (or found it applied before), reject with requeue on failure
(dead-lettered after the queue's delivery limit), reject a body that is not a provider
event straight to the DLQ. `ApplyProviderEvent` runs on a session of its own, so each
delivery opens a request scope of the container, as a framework integration would; the
delivery handler and the container are resolved once at start-up.
"""

from __future__ import annotations

from dishka import AsyncContainer
from faststream.rabbit import RabbitBroker
from wallet_domain.model.provider_event import ProviderEvent, ProviderEventOutcome
from wallet_domain.use_cases.apply_provider_event import ApplyProviderEvent
from wallet_infra.consuming.delivery import ACK_POLICY, Delivery, DeliveryHandler, the_delivery
from wallet_infra.consuming.provider_event_reader import PROVIDER_EVENTS
from wallet_infra.consuming.startup_dependencies import StartupDependencies
from wallet_infra.messaging.topology import WEBHOOKS_EXCHANGE, WEBHOOKS_QUEUE


def subscribe(broker: RabbitBroker, dependencies: StartupDependencies) -> None:
    """Register the handler on `broker` (one broker per app, so tests can build many)."""
    container = dependencies.later(AsyncContainer)
    deliveries = dependencies.later(DeliveryHandler)

    async def act(event: ProviderEvent) -> bool:
        async with container()() as request:
            use_case = await request.get(ApplyProviderEvent)
            outcome = await use_case.execute(event)
        return outcome is not ProviderEventOutcome.DUPLICATE

    @broker.subscriber(
        WEBHOOKS_QUEUE,
        WEBHOOKS_EXCHANGE,
        ack_policy=ACK_POLICY,
        decoder=the_delivery,
        no_reply=True,  # never answers a reply_to (see wallet_infra.consuming.delivery)
        title="webhooks.queue:apply",
        description=(
            "Applies each provider webhook (verified by the ingest service) once, by "
            "provider_event_id: late settlements, provider refunds, dispute updates."
        ),
    )
    async def apply_provider_event(message: Delivery) -> None:
        await deliveries().handle_with(message, PROVIDER_EVENTS, act)
