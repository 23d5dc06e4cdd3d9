"""Deposit events (`deposit.pending`, `deposit.completed`, `deposit.reverted`) reach the
metrics consumer through `metrics.queue` and are counted, by type and by the state the
deposit reached with its money, like hold events."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Final
from uuid import uuid4

import pytest
from faststream.asgi import AsgiFastStream
from faststream.rabbit import RabbitBroker
from wallet_domain.model.events import DomainEvent, EventType
from wallet_testkit.amqp import publish_event
from wallet_testkit.metrics import scrape, value
from wallet_testkit.polling import eventually

pytestmark = pytest.mark.integration

TIMEOUT_S: Final = 15.0
DEPOSIT_EVENTS: Final = (
    (EventType.DEPOSIT_PENDING, "PENDING"),
    (EventType.DEPOSIT_COMPLETED, "COMPLETED"),
    (EventType.DEPOSIT_REVERTED, "REVERTED"),
)


def _deposit_event(event_type: EventType, status: str) -> DomainEvent:
    deposit_id = uuid4()
    return DomainEvent(
        event_id=uuid4(),
        event_type=event_type,
        occurred_at=datetime.now(UTC),
        aggregate_id=deposit_id,
        user_id="u-metrics-deposits",
        payload={
            "transaction_id": str(deposit_id),
            "type": "DEPOSIT",
            "status": status,
            "amount": 500,
            "currency": "USD",
        },
    )


async def test_deposit_events_are_counted_in_metrics(
    live_consumer: AsgiFastStream, publisher: RabbitBroker
) -> None:
    for event_type, status in DEPOSIT_EVENTS:
        await publish_event(publisher, _deposit_event(event_type, status))

    async def all_counted() -> bool:
        samples = await scrape(live_consumer)
        return all(
            value(samples, "wallet_events_consumed_total", event_type=event_type.value) == 1
            for event_type, _ in DEPOSIT_EVENTS
        )

    await eventually(all_counted, timeout_s=TIMEOUT_S)
    samples = await scrape(live_consumer)
    for _, status in DEPOSIT_EVENTS:
        assert value(samples, "wallet_deposits_total", status=status, currency="USD") == 1
        assert (
            value(samples, "wallet_deposit_amount_minor_total", status=status, currency="USD")
            == 500
        )
