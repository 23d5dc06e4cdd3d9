"""Deposit events in the metrics consumer's use case: read first, counted once."""

from __future__ import annotations

import pytest
from wallet_domain.model.deposit_outcome import DepositOutcome, deposit_outcome
from wallet_domain.model.events import DomainEvent, EventType
from wallet_domain.model.settled_payment import UnreadableEvent
from wallet_domain.model.transaction import TransactionStatus
from wallet_domain.money import Money
from wallet_domain.use_cases.count_payment_event import CountPaymentEventRequest
from wallet_testkit.fakes.consumers import (
    ConsumerStore,
    RecordingMetrics,
    count_use_case,
    make_event,
)


def _events() -> list[DomainEvent]:
    deposit = {"type": "DEPOSIT", "amount": 500, "currency": "EUR"}
    return [
        make_event(EventType.DEPOSIT_COMPLETED, status="COMPLETED", **deposit),
        make_event(EventType.DEPOSIT_PENDING, status="PENDING", **deposit),
        make_event(EventType.DEPOSIT_REVERTED, status="REVERTED", **deposit),
    ]


def test_each_deposit_event_reads_as_the_state_reached_and_its_money() -> None:
    assert [deposit_outcome(e) for e in _events()] == [
        DepositOutcome(status=status, money=Money(500, "EUR"))
        for status in (
            TransactionStatus.COMPLETED,
            TransactionStatus.PENDING,
            TransactionStatus.REVERTED,
        )
    ]
    assert deposit_outcome(make_event()) is None


@pytest.mark.parametrize(
    "payload",
    [
        {"status": "PENDING"},  # a completed deposit saying it is pending
        {"status": "COMPLETED", "amount": 0},
        {"status": "COMPLETED", "currency": None},
    ],
)
def test_a_deposit_event_that_cannot_be_read_is_unreadable(payload: dict[str, object]) -> None:
    with pytest.raises(UnreadableEvent):
        deposit_outcome(make_event(EventType.DEPOSIT_COMPLETED, type="DEPOSIT", **payload))


async def test_deposit_events_are_counted_once() -> None:
    store, metrics = ConsumerStore(), RecordingMetrics()
    events = _events()
    for event in events + events:  # every event redelivered
        count, _ = count_use_case(store, metrics)
        await count.execute(CountPaymentEventRequest(event=event))

    assert [(o.status, o.money.amount) for o in metrics.deposits] == [
        (TransactionStatus.COMPLETED, 500),
        (TransactionStatus.PENDING, 500),
        (TransactionStatus.REVERTED, 500),
    ]
