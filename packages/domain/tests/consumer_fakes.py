"""Hand-written fakes for the event consumers' ports, sharing one transactional store.

`ConsumerStore` holds what is committed; each delivery gets a `StagedUnit` (its unit of
work) whose writes reach the store only on commit, so a test can see that a failed
delivery left nothing behind and that a redelivery is a no-op.
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
from wallet_domain.ports.transaction_manager import TransactionManager
from wallet_domain.use_cases.count_payment_event import CountPaymentEvent
from wallet_domain.use_cases.record_audit_event import RecordAuditEvent

OCCURRED_AT: Final = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)


@dataclass
class ConsumerStore:
    """The committed state: audit rows by event_id, inbox pairs."""

    audit: dict[UUID, DomainEvent] = field(default_factory=dict)
    inbox: set[tuple[str, UUID]] = field(default_factory=set)


class StagedUnit(TransactionManager):
    """One delivery's unit of work over the shared store."""

    def __init__(self, store: ConsumerStore) -> None:
        self.store = store
        self.audit: dict[UUID, DomainEvent] = {}
        self.inbox: set[tuple[str, UUID]] = set()
        self.commits = 0
        self.rollbacks = 0
        self.fail_next_commit: Exception | None = None

    async def commit(self) -> None:
        if self.fail_next_commit is not None:
            error, self.fail_next_commit = self.fail_next_commit, None
            raise error
        self.store.audit.update(self.audit)
        self.store.inbox |= self.inbox
        self._clear()
        self.commits += 1

    async def rollback(self) -> None:
        self._clear()
        self.rollbacks += 1

    def _clear(self) -> None:
        self.audit = {}
        self.inbox = set()


class FakeAuditLog(AuditLog):
    def __init__(self, unit: StagedUnit) -> None:
        self._unit = unit
        self.fail_with: Exception | None = None

    async def append(self, event: DomainEvent) -> bool:
        if self.fail_with is not None:
            raise self.fail_with
        if event.event_id in self._unit.store.audit or event.event_id in self._unit.audit:
            return False
        self._unit.audit[event.event_id] = event
        return True


class FakeConsumerInbox(ConsumerInbox):
    def __init__(self, unit: StagedUnit) -> None:
        self._unit = unit

    async def first_time(self, consumer: str, event_id: UUID) -> bool:
        key = (consumer, event_id)
        if key in self._unit.store.inbox or key in self._unit.inbox:
            return False
        self._unit.inbox.add(key)
        return True


@dataclass
class RecordingMetrics(PaymentMetrics):
    """Remembers every call, in order."""

    calls: list[tuple[DomainEvent, SettledPayment | None]] = field(default_factory=list)

    def record(self, event: DomainEvent, settled: SettledPayment | None) -> None:
        self.calls.append((event, settled))


def audit_use_case(store: ConsumerStore) -> tuple[RecordAuditEvent, StagedUnit, FakeAuditLog]:
    unit = StagedUnit(store)
    audit_log = FakeAuditLog(unit)
    return RecordAuditEvent(audit_log=audit_log, tx=unit), unit, audit_log


def count_use_case(
    store: ConsumerStore, metrics: PaymentMetrics
) -> tuple[CountPaymentEvent, StagedUnit]:
    unit = StagedUnit(store)
    return CountPaymentEvent(inbox=FakeConsumerInbox(unit), metrics=metrics, tx=unit), unit


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
