"""Hand-written fakes for the event consumers' ports, over one shared committed store.

The ports' writes commit when they return (each is a write on its own), so the fakes
write straight to `ConsumerStore`; `fail_with` makes the next write fail before it
stores anything, as a lost connection would.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final
from uuid import UUID, uuid4

from wallet_domain.model.deposit_outcome import DepositOutcome
from wallet_domain.model.dispute import DisputeStatus
from wallet_domain.model.events import DomainEvent, EventType
from wallet_domain.model.hold_outcome import HoldOutcome
from wallet_domain.model.settled_payment import SettledPayment
from wallet_domain.money import Money
from wallet_domain.ports.audit_log import AuditLog
from wallet_domain.ports.consumer_inbox import ConsumerInbox
from wallet_domain.ports.payment_metrics import PaymentMetrics
from wallet_domain.use_cases.count_payment_event import CountPaymentEvent
from wallet_domain.use_cases.purge_consumer_inbox import PurgeConsumerInbox
from wallet_domain.use_cases.record_audit_event import RecordAuditEvent

from wallet_testkit.fakes.clock import FixedClock

OCCURRED_AT: Final = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)


@dataclass
class ConsumerStore:
    """The committed state: audit rows by event_id, inbox pairs with when each was
    recorded (by `clock`, which tests move on). `failures` are raised, one per write, by
    the audit log's `append` and the inbox's `first_time` before they store anything
    (what a test that only holds the store, e.g. under an app's container, can arrange)."""

    audit: dict[UUID, DomainEvent] = field(default_factory=dict)
    inbox: dict[tuple[str, UUID], datetime] = field(default_factory=dict)
    clock: FixedClock = field(default_factory=lambda: FixedClock(OCCURRED_AT))
    failures: list[Exception] = field(default_factory=list)


class FakeAuditLog(AuditLog):
    def __init__(self, store: ConsumerStore) -> None:
        self._store = store
        self.fail_with: Exception | None = None

    async def append(self, event: DomainEvent) -> bool:
        if self._store.failures:
            raise self._store.failures.pop(0)
        if self.fail_with is not None:
            error, self.fail_with = self.fail_with, None
            raise error
        if event.event_id in self._store.audit:
            return False
        self._store.audit[event.event_id] = event
        return True


class FakeConsumerInbox(ConsumerInbox):
    """`fail_with` fails the next write; `forget_calls` logs each `forget_before`'s limit,
    and `forget_fails_at` fails the n-th call (1-based) before it deletes anything."""

    def __init__(self, store: ConsumerStore) -> None:
        self._store = store
        self.fail_with: Exception | None = None
        self.forget_calls: list[int] = []
        self.forget_fails_at: dict[int, Exception] = {}

    async def first_time(self, consumer: str, event_id: UUID) -> bool:
        if self._store.failures:
            raise self._store.failures.pop(0)
        self._fail_if_asked()
        key = (consumer, event_id)
        if key in self._store.inbox:
            return False
        self._store.inbox[key] = self._store.clock.now()
        return True

    async def forget_before(self, consumer: str, cutoff: datetime, limit: int) -> int:
        self.forget_calls.append(limit)
        self._fail_if_asked()
        if (error := self.forget_fails_at.get(len(self.forget_calls))) is not None:
            raise error
        old = sorted(
            (at, key) for key, at in self._store.inbox.items() if key[0] == consumer and at < cutoff
        )
        for _, key in old[:limit]:
            del self._store.inbox[key]
        return len(old[:limit])

    def _fail_if_asked(self) -> None:
        if self.fail_with is not None:
            error, self.fail_with = self.fail_with, None
            raise error


@dataclass
class RecordingMetrics(PaymentMetrics):
    """Remembers every call, in order."""

    calls: list[tuple[DomainEvent, SettledPayment | None]] = field(default_factory=list)
    transfers: list[Money] = field(default_factory=list)

    deposits: list[DepositOutcome] = field(default_factory=list)
    holds: list[HoldOutcome] = field(default_factory=list)
    disputes: list[DisputeStatus] = field(default_factory=list)

    def record(self, event: DomainEvent, settled: SettledPayment | None) -> None:
        self.calls.append((event, settled))

    def record_deposit(self, outcome: DepositOutcome) -> None:
        self.deposits.append(outcome)

    def record_hold(self, outcome: HoldOutcome) -> None:
        self.holds.append(outcome)

    def record_transfer(self, money: Money) -> None:
        self.transfers.append(money)

    def record_dispute(self, status: DisputeStatus) -> None:
        self.disputes.append(status)


def audit_use_case(store: ConsumerStore) -> tuple[RecordAuditEvent, FakeAuditLog]:
    audit_log = FakeAuditLog(store)
    return RecordAuditEvent(audit_log=audit_log), audit_log


def count_use_case(
    store: ConsumerStore, metrics: PaymentMetrics
) -> tuple[CountPaymentEvent, FakeConsumerInbox]:
    inbox = FakeConsumerInbox(store)
    return CountPaymentEvent(inbox=inbox, metrics=metrics), inbox


def purge_use_case(store: ConsumerStore) -> tuple[PurgeConsumerInbox, FakeConsumerInbox]:
    inbox = FakeConsumerInbox(store)
    return PurgeConsumerInbox(inbox=inbox, clock=store.clock), inbox


def make_event(event_type: EventType = EventType.PAYMENT_CREATED, **payload: Any) -> DomainEvent:
    """A payment event with a typical payload; keyword arguments replace payload fields
    (None removes one)."""
    body: dict[str, Any] = {
        "transaction_id": str(uuid4()),
        "type": "PAYMENT",
        "status": "PENDING",
        "amount": 1_250,
        "currency": "USD",
    }
    body.update(payload)
    return DomainEvent(
        event_id=uuid4(),
        event_type=event_type,
        occurred_at=OCCURRED_AT,
        aggregate_id=uuid4(),
        user_id="alice",
        payload={k: v for k, v in body.items() if v is not None},
    )
