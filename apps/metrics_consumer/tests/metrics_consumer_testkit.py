"""Helpers for the metrics consumer's tests (imported by name: conftest puts this folder
on sys.path).

In-memory fakes of the ports a delivery touches, bound through a Dishka override
provider, so the subscriber runs under `TestRabbitBroker` with no database; a payment
event factory. What every consumer's tests share (settlement recorder, /metrics readers,
broker and polling helpers) is in `wallet_testkit`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from uuid import UUID, uuid4

from dishka import Provider, Scope, provide
from wallet_domain.model.events import DomainEvent, EventType
from wallet_domain.ports.consumer_inbox import ConsumerInbox


@dataclass
class InboxStore:
    """Committed inbox pairs, shared by every delivery; `failures` are raised, one per
    delivery, by the inbox before it records anything. Each purge batch asked for is in
    `forgets` (consumer, cutoff, limit), `forget_failures` failing them one by one first;
    `expired` is how many records past the retention the purge still finds."""

    committed: set[tuple[str, UUID]] = field(default_factory=set)
    failures: list[Exception] = field(default_factory=list)
    forgets: list[tuple[str, datetime, int]] = field(default_factory=list)
    forget_failures: list[Exception] = field(default_factory=list)
    expired: int = 0


class FakeInbox(ConsumerInbox):
    """Commits when `first_time` returns, as the port says."""

    def __init__(self, store: InboxStore) -> None:
        self._store = store

    async def first_time(self, consumer: str, event_id: UUID) -> bool:
        if self._store.failures:
            raise self._store.failures.pop(0)
        key = (consumer, event_id)
        if key in self._store.committed:
            return False
        self._store.committed.add(key)
        return True

    async def forget_before(self, consumer: str, cutoff: datetime, limit: int) -> int:
        self._store.forgets.append((consumer, cutoff, limit))
        if self._store.forget_failures:
            raise self._store.forget_failures.pop(0)
        # Records carry no time here (the real adapter's test deletes): just a count.
        deleted = min(limit, self._store.expired)
        self._store.expired -= deleted
        return deleted


class InMemoryInboxProvider(Provider):
    """Overrides the inbox (the conftest adds `NoPause`)."""

    scope = Scope.APP

    def __init__(self, store: InboxStore) -> None:
        super().__init__()
        self._store = store

    @provide
    def inbox(self) -> ConsumerInbox:
        return FakeInbox(self._store)


def payment_event(
    event_type: EventType, *, status: str, amount: int = 1_000, currency: str = "USD"
) -> DomainEvent:
    return DomainEvent(
        event_id=uuid4(),
        event_type=event_type,
        occurred_at=datetime.now(UTC),
        aggregate_id=uuid4(),
        user_id="u-metrics",
        payload={
            "transaction_id": str(uuid4()),
            "type": "PAYMENT",
            "status": status,
            "amount": amount,
            "currency": currency,
        },
    )
