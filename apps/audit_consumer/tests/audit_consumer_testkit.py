"""Helpers for the audit consumer's tests (imported by name: conftest puts this folder
on sys.path).

An in-memory audit log behind a Dishka override provider (APP scope, as the real one),
so the subscriber runs under `TestRabbitBroker` with no database; an event factory. What
every consumer's tests share (settlement recorder, /metrics readers, broker and polling
helpers) is in `wallet_testkit`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

from dishka import Provider, Scope, provide
from wallet_domain.model.events import DomainEvent, EventType
from wallet_domain.ports.audit_log import AuditLog


@dataclass
class AuditStore:
    """Committed rows by event_id; `failures` are raised, one per delivery, by `append`
    before it stores anything."""

    rows: dict[UUID, DomainEvent] = field(default_factory=dict)
    failures: list[Exception] = field(default_factory=list)


class FakeAuditLog(AuditLog):
    """Commits when `append` returns, as the port says."""

    def __init__(self, store: AuditStore) -> None:
        self._store = store

    async def append(self, event: DomainEvent) -> bool:
        if self._store.failures:
            raise self._store.failures.pop(0)
        if event.event_id in self._store.rows:
            return False
        self._store.rows[event.event_id] = event
        return True


class InMemoryAuditProvider(Provider):
    """Overrides the audit log (the conftest adds `NoPause`)."""

    scope = Scope.APP

    def __init__(self, store: AuditStore) -> None:
        super().__init__()
        self._store = store

    @provide
    def audit_log(self) -> AuditLog:
        return FakeAuditLog(self._store)


def money_event(event_type: EventType, **payload: Any) -> DomainEvent:
    body: dict[str, Any] = {
        "transaction_id": str(uuid4()),
        "type": "PAYMENT",
        "status": "PENDING",
        "amount": 1_000,
        "currency": "USD",
    }
    body.update(payload)
    return DomainEvent(
        event_id=uuid4(),
        event_type=event_type,
        occurred_at=datetime.now(UTC),
        aggregate_id=uuid4(),
        user_id=f"u-{uuid4().hex[:12]}",
        payload=body,
    )
