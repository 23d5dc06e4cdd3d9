"""Event consumers' use cases: audit once per event_id, count once across instances."""

from __future__ import annotations

from typing import Any

import pytest
from wallet_domain.model.dispute import DisputeStatus
from wallet_domain.model.events import DomainEvent, EventType
from wallet_domain.model.settled_payment import SettledPayment, UnreadableEvent, settled_payment
from wallet_domain.model.transaction import TransactionStatus
from wallet_domain.money import Money
from wallet_domain.use_cases.count_payment_event import (
    METRICS_CONSUMER,
    CountPaymentEventRequest,
)
from wallet_domain.use_cases.record_audit_event import RecordAuditEventRequest
from wallet_testkit.fakes.consumers import (
    ConsumerStore,
    RecordingMetrics,
    audit_use_case,
    count_use_case,
    make_event,
)


async def assert_refused_before_anything_is_recorded(event: DomainEvent) -> None:
    """Counting `event` raises UnreadableEvent with nothing counted nor in the inbox."""
    store = ConsumerStore()
    metrics = RecordingMetrics()
    count, _ = count_use_case(store, metrics)

    with pytest.raises(UnreadableEvent):
        await count.execute(CountPaymentEventRequest(event=event))

    assert (metrics.calls, metrics.transfers, metrics.disputes, store.inbox) == ([], [], [], {})


# ------------------------------------------------------------------------------- audit


async def test_audit_stores_a_new_event() -> None:
    store = ConsumerStore()
    record, _ = audit_use_case(store)
    event = make_event(EventType.DEPOSIT_COMPLETED, type="DEPOSIT", status="COMPLETED")

    result = await record.execute(RecordAuditEventRequest(event=event))

    assert result.new
    assert store.audit == {event.event_id: event}


async def test_audit_redelivery_changes_nothing() -> None:
    store = ConsumerStore()
    event = make_event()
    first, _ = audit_use_case(store)
    await first.execute(RecordAuditEventRequest(event=event))
    again, _ = audit_use_case(store)

    result = await again.execute(RecordAuditEventRequest(event=event))

    assert not result.new
    assert store.audit == {event.event_id: event}


async def test_audit_failure_propagates_stores_nothing_and_the_redelivery_stores_it() -> None:
    store = ConsumerStore()
    event = make_event()
    record, audit_log = audit_use_case(store)
    audit_log.fail_with = ConnectionError("database went away")

    with pytest.raises(ConnectionError):
        await record.execute(RecordAuditEventRequest(event=event))
    assert store.audit == {}

    result = await record.execute(RecordAuditEventRequest(event=event))
    assert result.new
    assert list(store.audit) == [event.event_id]


# ------------------------------------------------------------------------------- metrics


async def test_counts_a_settled_payment_after_recording_it_in_the_inbox() -> None:
    store = ConsumerStore()
    metrics = RecordingMetrics()
    count, _ = count_use_case(store, metrics)
    event = make_event(EventType.PAYMENT_COMPLETED, status="APPROVED", amount=700, currency="EUR")

    result = await count.execute(CountPaymentEventRequest(event=event))

    assert result.counted
    assert set(store.inbox) == {(METRICS_CONSUMER, event.event_id)}
    expected = SettledPayment(status=TransactionStatus.APPROVED, money=Money(700, "EUR"))
    assert metrics.calls == [(event, expected)]


async def test_counts_a_created_payment_as_an_event_only() -> None:
    store = ConsumerStore()
    metrics = RecordingMetrics()
    count, _ = count_use_case(store, metrics)
    event = make_event(EventType.PAYMENT_CREATED)

    await count.execute(CountPaymentEventRequest(event=event))

    assert metrics.calls == [(event, None)]


async def test_a_redelivery_to_any_instance_is_not_counted_again() -> None:
    store = ConsumerStore()
    event = make_event(EventType.PAYMENT_FAILED, status="DECLINED")
    instance_a, instance_b = RecordingMetrics(), RecordingMetrics()
    first, _ = count_use_case(store, instance_a)
    await first.execute(CountPaymentEventRequest(event=event))

    again_a, _ = count_use_case(store, instance_a)
    on_b, _ = count_use_case(store, instance_b)
    results = [
        await again_a.execute(CountPaymentEventRequest(event=event)),
        await on_b.execute(CountPaymentEventRequest(event=event)),
    ]

    assert [r.counted for r in results] == [False, False]
    assert len(instance_a.calls) == 1
    assert instance_b.calls == []


async def test_a_failed_inbox_record_counts_nothing_and_the_redelivery_counts_once() -> None:
    store = ConsumerStore()
    metrics = RecordingMetrics()
    count, inbox = count_use_case(store, metrics)
    event = make_event()
    inbox.fail_with = ConnectionError("commit lost")

    with pytest.raises(ConnectionError):
        await count.execute(CountPaymentEventRequest(event=event))
    assert (metrics.calls, store.inbox) == ([], {})

    await count.execute(CountPaymentEventRequest(event=event))
    assert len(metrics.calls) == 1


@pytest.mark.parametrize(
    ("event_type", "payload"),
    [
        (EventType.PAYMENT_COMPLETED, {"status": "DECLINED"}),
        (EventType.PAYMENT_FAILED, {"status": "APPROVED"}),
        (EventType.PAYMENT_FAILED, {"status": "PENDING"}),
        (EventType.PAYMENT_FAILED, {"status": "BOGUS"}),
        (EventType.PAYMENT_COMPLETED, {"status": "APPROVED", "amount": None}),
        (EventType.PAYMENT_COMPLETED, {"status": "APPROVED", "amount": "12"}),
        (EventType.PAYMENT_COMPLETED, {"status": "APPROVED", "amount": 0}),
        (EventType.PAYMENT_COMPLETED, {"status": "APPROVED", "amount": True}),
        (EventType.PAYMENT_COMPLETED, {"status": "APPROVED", "currency": "usd"}),
        (EventType.PAYMENT_COMPLETED, {"status": "APPROVED", "currency": None}),
    ],
)
async def test_an_unreadable_settlement_is_refused_before_anything_is_recorded(
    event_type: EventType, payload: dict[str, Any]
) -> None:
    await assert_refused_before_anything_is_recorded(make_event(event_type, **payload))


@pytest.mark.parametrize(
    ("event_type", "status"),
    [
        (EventType.PAYMENT_COMPLETED, TransactionStatus.APPROVED),
        (EventType.PAYMENT_FAILED, TransactionStatus.DECLINED),
        (EventType.PAYMENT_FAILED, TransactionStatus.FAILED),
    ],
)
def test_settled_payment_reads_the_payload_status_and_money(
    event_type: EventType, status: TransactionStatus
) -> None:
    event = make_event(event_type, status=status.value, amount=99, currency="JPY")

    assert settled_payment(event) == SettledPayment(status=status, money=Money(99, "JPY"))


@pytest.mark.parametrize(
    "event_type",
    [EventType.PAYMENT_CREATED, EventType.REFUND_CREATED, EventType.DEPOSIT_COMPLETED],
)
def test_only_completed_and_failed_payments_settle(event_type: EventType) -> None:
    assert settled_payment(make_event(event_type, status="BOGUS", amount=None)) is None


# ------------------------------------------------------------------------------- transfers


async def test_counts_a_completed_transfer_by_its_money_once() -> None:
    store = ConsumerStore()
    metrics = RecordingMetrics()
    event = make_event(EventType.TRANSFER_COMPLETED, amount=300, currency="EUR")

    for _ in range(2):  # the second is a redelivery
        count, _ = count_use_case(store, metrics)
        await count.execute(CountPaymentEventRequest(event=event))

    assert metrics.transfers == [Money(300, "EUR")]
    assert metrics.calls == [(event, None)]


async def test_payment_events_count_no_transfer() -> None:
    metrics = RecordingMetrics()
    count, _ = count_use_case(ConsumerStore(), metrics)
    await count.execute(
        CountPaymentEventRequest(event=make_event(EventType.PAYMENT_COMPLETED, status="APPROVED"))
    )
    assert metrics.transfers == []


@pytest.mark.parametrize(
    "payload",
    [{"amount": None}, {"amount": "5"}, {"amount": 0}, {"currency": "usd"}, {"currency": None}],
)
async def test_an_unreadable_transfer_is_refused_before_anything_is_recorded(
    payload: dict[str, Any],
) -> None:
    await assert_refused_before_anything_is_recorded(
        make_event(EventType.TRANSFER_COMPLETED, **payload)
    )


async def test_audit_stores_a_transfer_event() -> None:
    store = ConsumerStore()
    record, _ = audit_use_case(store)
    event = make_event(EventType.TRANSFER_COMPLETED)
    assert (await record.execute(RecordAuditEventRequest(event=event))).new
    assert store.audit == {event.event_id: event}


# ------------------------------------------------------------------------------- disputes


async def test_counts_each_dispute_event_by_the_status_it_reached_once() -> None:
    store = ConsumerStore()
    metrics = RecordingMetrics()
    opened = make_event(EventType.DISPUTE_OPENED, status="OPEN")
    won = make_event(EventType.DISPUTE_WON, status="WON")

    for event in (opened, won, won):  # the last is a redelivery
        count, _ = count_use_case(store, metrics)
        await count.execute(CountPaymentEventRequest(event=event))

    assert metrics.disputes == [DisputeStatus.OPEN, DisputeStatus.WON]


@pytest.mark.parametrize("payload", [{}, {"status": "won"}, {"status": None}])
async def test_an_unreadable_dispute_event_is_refused_before_anything_is_recorded(
    payload: dict[str, Any],
) -> None:
    await assert_refused_before_anything_is_recorded(
        make_event(EventType.DISPUTE_UPDATED, **payload)
    )
