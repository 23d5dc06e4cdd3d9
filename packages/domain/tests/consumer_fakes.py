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

from wallet_domain.model.events import DomainEvent, EventType
from wallet_domain.model.settled_payment import SettledPayment
from wallet_domain.ports.audit_log import AuditLog
from wallet_domain.ports.consumer_inbox import ConsumerInbox
from wallet_domain.ports.payment_metrics import PaymentMetrics
from wallet_domain.use_cases.count_payment_event import CountPaymentEvent
from wallet_domain.use_cases.record_audit_event import RecordAuditEvent

OCCURRED_AT: Final = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)


@dataclass
class ConsumerStore:
    """The committed state: audit rows by event_id, inbox pairs."""

    audit: dict[UUID, DomainEvent] = field(default_factory=dict)
    inbox: set[tuple[str, UUID]] = field(default_factory=set)


class FakeAuditLog(AuditLog):
    def __init__(self, store: ConsumerStore) -> None:
        self._store = store
        self.fail_with: Exception | None = None

    async def append(self, event: DomainEvent) -> bool:
        if self.fail_with is not None:
            error, self.fail_with = self.fail_with, None
            raise error
        if event.event_id in self._store.audit:
            return False
        self._store.audit[event.event_id] = event
        return True


class FakeConsumerInbox(ConsumerInbox):
    def __init__(self, store: ConsumerStore) -> None:
        self._store = store
        self.fail_with: Exception | None = None

    async def first_time(self, consumer: str, event_id: UUID) -> bool:
        if self.fail_with is not None:
            error, self.fail_with = self.fail_with, None
            raise error
        key = (consumer, event_id)
        if key in self._store.inbox:
            return False
        self._store.inbox.add(key)
        return True


@dataclass
class RecordingMetrics(PaymentMetrics):
    """Remembers every call, in order."""

    calls: list[tuple[DomainEvent, SettledPayment | None]] = field(default_factory=list)

    def record(self, event: DomainEvent, settled: SettledPayment | None) -> None:
        self.calls.append((event, settled))


def audit_use_case(store: ConsumerStore) -> tuple[RecordAuditEvent, FakeAuditLog]:
    audit_log = FakeAuditLog(store)
    return RecordAuditEvent(audit_log=audit_log), audit_log


def count_use_case(
    store: ConsumerStore, metrics: PaymentMetrics
) -> tuple[CountPaymentEvent, FakeConsumerInbox]:
    inbox = FakeConsumerInbox(store)
    return CountPaymentEvent(inbox=inbox, metrics=metrics), inbox


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
