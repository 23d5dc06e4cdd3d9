"""Hold events in the metrics consumer's use case: read first, counted once."""

from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

import pytest
from wallet_domain.model.events import DomainEvent, EventType, hold_event
from wallet_domain.model.hold import HoldStatus, new_hold
from wallet_domain.model.hold_outcome import HoldOutcome, hold_outcome
from wallet_domain.model.settled_payment import UnreadableEvent
from wallet_domain.money import Money
from wallet_domain.use_cases.count_payment_event import CountPaymentEventRequest
from wallet_testkit.fakes.clock import EPOCH
from wallet_testkit.fakes.consumers import (
    ConsumerStore,
    RecordingMetrics,
    count_use_case,
    make_event,
)


def _events() -> list[DomainEvent]:
    hold = new_hold(
        id=uuid4(),
        user_id="alice",
        money=Money(300, "USD"),
        reference=None,
        expires_in=timedelta(days=1),
        at=EPOCH,
    )
    completed = hold.complete(120, EPOCH)
    return [
        hold_event(hold, event_id=uuid4(), at=EPOCH),
        hold_event(completed, event_id=uuid4(), at=EPOCH),
        hold_event(hold.revert(EPOCH), event_id=uuid4(), at=EPOCH),
        hold_event(hold.expire(EPOCH), event_id=uuid4(), at=EPOCH),
    ]


def test_each_hold_event_reads_as_the_state_reached_and_its_money() -> None:
    assert [hold_outcome(e) for e in _events()] == [
        HoldOutcome(status=HoldStatus.PENDING, money=Money(300, "USD")),
        HoldOutcome(status=HoldStatus.COMPLETED, money=Money(120, "USD")),
        HoldOutcome(status=HoldStatus.REVERTED, money=Money(300, "USD")),
        HoldOutcome(status=HoldStatus.EXPIRED, money=Money(300, "USD")),
    ]
    assert hold_outcome(make_event()) is None


def test_a_hold_event_contradicting_its_type_is_unreadable() -> None:
    created = _events()[0]
    lying = make_event(EventType.HOLD_COMPLETED, status="PENDING")
    for event in (lying, make_event(EventType.HOLD_CREATED, status="PENDING", amount=0)):
        with pytest.raises(UnreadableEvent):
            hold_outcome(event)
    assert hold_outcome(created) is not None


async def test_hold_events_are_counted_once() -> None:
    store, metrics = ConsumerStore(), RecordingMetrics()
    events = _events()
    for event in events + events:  # every event redelivered
        count, _ = count_use_case(store, metrics)
        await count.execute(CountPaymentEventRequest(event=event))

    assert [o.status for o in metrics.holds] == list(HoldStatus)
