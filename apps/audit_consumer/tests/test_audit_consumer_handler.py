"""The audit subscriber under TestRabbitBroker: how each delivery is settled, and what it
stores.

TestRabbitBroker routes by the subscriber's own binding (`payment.*`); the queue's other
bindings (`refund.*`, `deposit.*`) come from `declare_topology` and are exercised on the
real broker by the integration tests.
"""

from __future__ import annotations

import anyio.to_thread
import pytest
from faststream.asgi import AsgiFastStream
from faststream.rabbit import RabbitBroker
from wallet_domain.model.events import EventType
from wallet_infra.messaging.envelope import encode_envelope
from wallet_testkit.amqp import publish_body, publish_event
from wallet_testkit.consumers import recorded_settlements
from wallet_testkit.fakes.consumers import ConsumerStore, make_event
from wallet_testkit.metrics import scrape


async def test_an_event_is_stored_as_published_then_acked(
    broker: RabbitBroker, audit_store: ConsumerStore
) -> None:
    event = make_event(EventType.PAYMENT_CREATED, external_reference="bill-42")

    with recorded_settlements() as settled:
        await publish_event(broker, event)

    assert settled == ["ack"]
    assert audit_store.audit == {event.event_id: event}


async def test_a_redelivery_is_acked_and_stores_nothing_new(
    broker: RabbitBroker, audit_store: ConsumerStore
) -> None:
    event = make_event(EventType.PAYMENT_COMPLETED, status="APPROVED")

    with recorded_settlements() as settled:
        for _ in range(3):
            await publish_event(broker, event)

    assert settled == ["ack", "ack", "ack"]
    assert list(audit_store.audit) == [event.event_id]


async def test_a_failure_is_rejected_for_redelivery_and_stores_nothing(
    broker: RabbitBroker, audit_store: ConsumerStore
) -> None:
    event = make_event(EventType.PAYMENT_FAILED, status="DECLINED")
    audit_store.failures.append(ConnectionError("database went away"))

    with recorded_settlements() as settled:
        await publish_event(broker, event)
        assert (settled, audit_store.audit) == (["reject(requeue=True)"], {})

        await publish_event(broker, event)

    assert settled == ["reject(requeue=True)", "ack"]
    assert list(audit_store.audit) == [event.event_id]


async def test_a_malformed_body_is_rejected_without_requeue(
    broker: RabbitBroker, audit_store: ConsumerStore
) -> None:
    with recorded_settlements() as settled:
        await publish_body(broker, b"\xff\xfe not json")
        await publish_body(broker, b'{"event_type": "payment.created"}')
        await publish_body(broker, b"[]")

    assert settled == ["reject(requeue=False)"] * 3
    assert audit_store.audit == {}


async def test_every_event_type_is_audited_whatever_its_payload(
    broker: RabbitBroker, audit_store: ConsumerStore
) -> None:
    # The audit log keeps what was published; it does not judge payloads (the metrics
    # consumer does, because it has to read the money out of them).
    events = [
        make_event(EventType.PAYMENT_COMPLETED, status="DECLINED"),
        make_event(EventType.REFUND_CREATED, type="REFUND", status="COMPLETED"),
        make_event(EventType.DEPOSIT_COMPLETED, type="DEPOSIT", status="COMPLETED"),
    ]

    with recorded_settlements() as settled:
        for event in events:
            await publish_body(broker, encode_envelope(event), "payment.any")

    assert settled == ["ack"] * 3
    assert audit_store.audit == {event.event_id: event for event in events}


async def test_a_delivery_is_handled_without_a_worker_thread(
    broker: RabbitBroker, audit_store: ConsumerStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    # FastStream resolves sync context parameters through anyio's thread pool; the
    # subscriber takes the delivery from its decoder instead (see `the_delivery`).
    async def no_thread(*_: object, **__: object) -> None:
        raise AssertionError("a handler parameter was resolved in a worker thread")

    monkeypatch.setattr(anyio.to_thread, "run_sync", no_thread)
    event = make_event(EventType.PAYMENT_CREATED)

    with recorded_settlements() as settled:
        await publish_event(broker, event)

    assert settled == ["ack"]
    assert audit_store.audit == {event.event_id: event}


async def test_the_audit_consumer_runs_no_inbox_purge(consumer: AsgiFastStream) -> None:
    """It has no inbox (audit_log's unique event_id is its dedupe, and its record)."""
    assert not [n for n, _ in await scrape(consumer) if n.startswith("wallet_consumer_inbox")]
