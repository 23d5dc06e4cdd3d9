"""Poison messages: never dropped, never redelivered forever, never in the way.

Against consumer processes: a body that is no envelope is dead-lettered at once by both
consumers; a valid envelope whose audit insert fails every time (PostgreSQL's jsonb
refuses `\\u0000`) is retried with growing pauses and dead-lettered after the queue's
delivery limit; healthy events published behind them are handled meanwhile.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Final
from uuid import uuid4

import pytest
from wallet_domain.model.events import DomainEvent, EventType
from wallet_infra.messaging.topology import (
    AUDIT_DLQ_NAME,
    AUDIT_QUEUE_NAME,
    DELIVERY_LIMIT,
    METRICS_DLQ_NAME,
    METRICS_QUEUE_NAME,
)
from wallet_testkit.amqp import (
    connected_broker,
    first_death,
    publish_body,
    publish_event,
    queue_messages,
)
from wallet_testkit.db import fetch
from wallet_testkit.metrics import total

from .consumers_harness import Stack, eventually, healthy_consumers

pytestmark = pytest.mark.integration

TIMEOUT_S: Final = 60.0  # the poison walks 5 pauses (0.5 s doubling) first


def _event(event_type: EventType, **payload: Any) -> DomainEvent:
    return DomainEvent(
        event_id=uuid4(),
        event_type=event_type,
        occurred_at=datetime.now(UTC),
        aggregate_id=uuid4(),
        user_id="u-poison",
        payload={"type": "PAYMENT", "amount": 100, "currency": "USD", **payload},
    )


def _outcome(samples: list[Any], queue: str, name: str) -> float:
    return total(samples, "wallet_consumer_deliveries_total", queue=queue, outcome=name)


async def test_poison_is_dead_lettered_and_healthy_events_keep_flowing(
    consumers_stack: Stack,
) -> None:
    malformed = b'{"event_id": "not a uuid", "event_type": "payment.created"'
    nul = _event(EventType.PAYMENT_CREATED, status="PENDING", note="\u0000")
    unreadable = _event(EventType.PAYMENT_COMPLETED, status="DECLINED")  # completed = APPROVED
    healthy = [_event(EventType.PAYMENT_CREATED, status="PENDING") for _ in range(20)]
    async with healthy_consumers(consumers_stack) as consumers:
        [audit], [metrics] = consumers.audits, consumers.counters
        async with connected_broker(consumers_stack.amqp_url) as broker:
            await publish_body(broker, malformed, "payment.created", message_id="malformed-1")
            for event in (nul, unreadable, *healthy):
                await publish_event(broker, event)

        healthy_ids = [event.event_id for event in healthy]

        async def healthy_audited() -> bool:
            rows = await fetch(
                consumers_stack.database_url,
                "SELECT count(*) AS n FROM audit_log WHERE event_id = ANY($1::uuid[])",
                healthy_ids,
            )
            return bool(rows[0]["n"] == len(healthy))

        await eventually(healthy_audited, timeout_s=TIMEOUT_S)
        # The healthy events did not wait for the poison's retries: it is still being
        # retried (fewer retries than the delivery limit so far, not dead-lettered yet).
        retried_meanwhile = _outcome([await audit.metrics()], AUDIT_QUEUE_NAME, "retried")
        assert retried_meanwhile < DELIVERY_LIMIT
        audit_dlq: list[Any] = await queue_messages(consumers_stack.amqp_url, AUDIT_DLQ_NAME)
        assert str(nul.event_id) not in {m.message_id for m in audit_dlq}

        async def nul_dead_lettered() -> bool:
            audit_dlq.extend(await queue_messages(consumers_stack.amqp_url, AUDIT_DLQ_NAME))
            return any(m.message_id == str(nul.event_id) for m in audit_dlq)

        await eventually(nul_dead_lettered, timeout_s=TIMEOUT_S)
        metrics_samples = [await metrics.metrics()]
        audit_samples = [await audit.metrics()]
        metrics_dlq = await queue_messages(consumers_stack.amqp_url, METRICS_DLQ_NAME)

    # Each dead-lettered once. Malformed: dead-lettered at once. The jsonb failure: after
    # the delivery limit. The unreadable settlement is only unreadable to the metrics
    # consumer.
    reasons = sorted((m.message_id, first_death(m)["reason"]) for m in audit_dlq)
    assert reasons == sorted([("malformed-1", "rejected"), (str(nul.event_id), "delivery_limit")])
    metrics_reasons = sorted((m.message_id, first_death(m)["reason"]) for m in metrics_dlq)
    assert metrics_reasons == sorted(
        [("malformed-1", "rejected"), (str(unreadable.event_id), "rejected")]
    )

    assert _outcome(audit_samples, AUDIT_QUEUE_NAME, "retried") == DELIVERY_LIMIT
    assert _outcome(audit_samples, AUDIT_QUEUE_NAME, "dead_lettered") == 2
    assert _outcome(audit_samples, AUDIT_QUEUE_NAME, "processed") == len(healthy) + 1
    assert _outcome(metrics_samples, METRICS_QUEUE_NAME, "dead_lettered") == 2
    # The \u0000 payload is a valid payment.created to the metrics consumer: counted.
    assert _outcome(metrics_samples, METRICS_QUEUE_NAME, "processed") == len(healthy) + 1
    rows = await fetch(
        consumers_stack.database_url,
        "SELECT count(*) AS n FROM audit_log WHERE event_id = ANY($1::uuid[])",
        [nul.event_id, unreadable.event_id],
    )
    assert rows[0]["n"] == 1  # the unreadable settlement is a fine audit record
    consumers.assert_stopped_gracefully()
