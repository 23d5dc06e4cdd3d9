"""In-memory fakes for the relay's ports, with the transactional behaviour that matters.

`FakeOutboxTable` holds committed rows; each `FakeRelayUnitOfWork` stages its claims and
writes and applies them only on commit, so a test can assert that a rolled-back batch
left every row unsent and unlocked. Claims lock rows until the unit of work ends and
skip rows another unit holds, like `FOR UPDATE SKIP LOCKED`, and rows whose retry is
not due yet, like the claim's `next_attempt_at` condition. Due times are on the table's
`clock` (the database's), which a test may set apart from the relay's.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from uuid import UUID

from wallet_domain.model.outbox_message import OutboxMessage
from wallet_domain.ports.clock import Clock
from wallet_domain.ports.event_publisher import BrokerUnavailable, EventPublisher
from wallet_domain.ports.outbox_relay import OutboxRelayStore
from wallet_domain.ports.transaction_manager import TransactionManager

from wallet_testkit.fakes.clock import FixedClock


@dataclass
class Row:
    message: OutboxMessage
    sent_at: datetime | None = None
    attempts: int = 0
    next_attempt_at: datetime | None = None  # None: due now (never failed)


@dataclass
class FakeOutboxTable:
    rows: dict[UUID, Row] = field(default_factory=dict)
    locked: set[UUID] = field(default_factory=set)
    clock: Clock = field(default_factory=FixedClock)  # the database's clock

    def add(self, messages: Iterable[OutboxMessage]) -> None:
        for message in messages:
            self.rows[message.event.event_id] = Row(message)

    def unsent(self) -> set[UUID]:
        return {event_id for event_id, row in self.rows.items() if row.sent_at is None}


class FakeRelayUnitOfWork(TransactionManager, OutboxRelayStore):
    """One relay transaction: the store and its transaction manager in one object."""

    def __init__(self, table: FakeOutboxTable) -> None:
        self._table = table
        self._held: set[UUID] = set()
        self._sent: dict[UUID, datetime] = {}
        self._failed: dict[UUID, datetime] = {}  # each its retry time, on the table clock
        self._deleted: set[UUID] = set()
        self.commits = 0
        self.rollbacks = 0

    async def claim_batch(self, limit: int) -> list[OutboxMessage]:
        now = self._table.clock.now()
        free = sorted(
            event_id
            for event_id, row in self._table.rows.items()
            if row.sent_at is None
            and event_id not in self._table.locked
            and (row.next_attempt_at is None or row.next_attempt_at <= now)
        )[:limit]
        self._held.update(free)
        self._table.locked.update(free)
        rows = [self._table.rows[event_id] for event_id in free]
        return [replace(row.message, attempts=row.attempts) for row in rows]

    async def mark_sent(self, event_ids: Collection[UUID], at: datetime) -> None:
        for event_id in event_ids:
            self._sent[event_id] = at

    async def record_failure(self, retry_in: Mapping[UUID, timedelta]) -> None:
        at = self._table.clock.now()  # like the statement: the database's clock, now
        self._failed.update({event_id: at + delay for event_id, delay in retry_in.items()})

    async def purge_sent_before(self, cutoff: datetime, batch: int) -> int:
        old = sorted(
            event_id
            for event_id, row in self._table.rows.items()
            if row.sent_at is not None and row.sent_at < cutoff and event_id not in self._deleted
        )[:batch]
        self._deleted.update(old)
        return len(old)

    async def commit(self) -> None:
        for event_id, at in self._sent.items():
            self._table.rows[event_id].sent_at = at
        for event_id, at in self._failed.items():
            self._table.rows[event_id].attempts += 1
            self._table.rows[event_id].next_attempt_at = at
        for event_id in self._deleted:
            del self._table.rows[event_id]
        self.commits += 1
        self._end()

    async def rollback(self) -> None:
        self.rollbacks += 1
        self._end()

    def _end(self) -> None:
        self._table.locked.difference_update(self._held)
        self._held.clear()
        self._sent.clear()
        self._failed.clear()
        self._deleted.clear()


class ScriptedPublisher(EventPublisher):
    """Confirms every message except those in `refuse`; raises `BrokerUnavailable` while
    `down` is set. Records what it was asked to publish."""

    def __init__(self) -> None:
        self.refuse: set[UUID] = set()
        self.down = False
        self.published: list[OutboxMessage] = []

    async def publish_batch(self, messages: Sequence[OutboxMessage]) -> set[UUID]:
        if self.down:
            raise BrokerUnavailable("broker is down")
        self.published.extend(messages)
        return {m.event.event_id for m in messages if m.event.event_id not in self.refuse}
