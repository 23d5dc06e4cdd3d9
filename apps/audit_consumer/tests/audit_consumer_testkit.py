"""Helpers for the audit consumer's tests (imported by name: conftest puts this folder
on sys.path).

An in-memory audit log behind a Dishka override provider, so the subscriber runs under
`TestRabbitBroker` with no database; a recorder of how each delivery was settled.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from unittest import mock
from urllib.parse import quote, unquote, urlsplit, urlunsplit
from uuid import UUID, uuid4

import aio_pika
import httpx
from dishka import Provider, Scope, provide
from faststream.asgi import AsgiFastStream
from faststream.rabbit.message import RabbitMessage
from prometheus_client.parser import text_string_to_metric_families
from wallet_domain.model.events import DomainEvent, EventType
from wallet_domain.ports.audit_log import AuditLog
from wallet_domain.ports.transaction_manager import TransactionManager
from wallet_infra.consuming.delivery import RetryPause


@dataclass
class AuditStore:
    """Committed rows by event_id; `failures` are raised, one per delivery, by `append`."""

    rows: dict[UUID, DomainEvent] = field(default_factory=dict)
    failures: list[Exception] = field(default_factory=list)
    commits: int = 0


class FakeUnit(TransactionManager):
    def __init__(self, store: AuditStore) -> None:
        self.store = store
        self.staged: dict[UUID, DomainEvent] = {}

    async def commit(self) -> None:
        self.store.rows.update(self.staged)
        self.store.commits += 1
        self.staged = {}

    async def rollback(self) -> None:
        self.staged = {}


class FakeAuditLog(AuditLog):
    def __init__(self, unit: FakeUnit) -> None:
        self._unit = unit

    async def append(self, event: DomainEvent) -> bool:
        if self._unit.store.failures:
            raise self._unit.store.failures.pop(0)
        if event.event_id in self._unit.store.rows or event.event_id in self._unit.staged:
            return False
        self._unit.staged[event.event_id] = event
        return True


class InMemoryAuditProvider(Provider):
    """Overrides the audit log and the unit of work; no retry pause."""

    scope = Scope.REQUEST

    def __init__(self, store: AuditStore) -> None:
        super().__init__()
        self._store = store

    @provide
    def unit(self) -> FakeUnit:
        return FakeUnit(self._store)

    @provide
    def tx(self, unit: FakeUnit) -> TransactionManager:
        return unit

    @provide
    def audit_log(self, unit: FakeUnit) -> AuditLog:
        return FakeAuditLog(unit)

    @provide(scope=Scope.APP)
    def pause(self) -> RetryPause:
        return RetryPause(first_s=0.0, max_s=0.0)


@contextmanager
def recorded_settlements() -> Iterator[list[str]]:
    """Every ack / nack / reject the subscriber's messages receive, in order.

    Recorded on FastStream's RabbitMessage: under TestRabbitBroker the aio-pika message
    has no delivery tag, so it is "locked" and never reaches aio-pika's own methods.
    """
    calls: list[str] = []

    async def ack(self: RabbitMessage, multiple: bool = False) -> None:
        calls.append("ack")

    async def nack(self: RabbitMessage, multiple: bool = False, requeue: bool = True) -> None:
        calls.append(f"nack(requeue={requeue})")

    async def reject(self: RabbitMessage, requeue: bool = False) -> None:
        calls.append(f"reject(requeue={requeue})")

    with (
        mock.patch.object(RabbitMessage, "ack", ack),
        mock.patch.object(RabbitMessage, "nack", nack),
        mock.patch.object(RabbitMessage, "reject", reject),
    ):
        yield calls


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


Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


async def scrape(app: AsgiFastStream) -> Samples:
    """`GET /metrics` of the in-process app as {(sample name, sorted labels): value}."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://consumer") as client:
        response = await client.get("/metrics")
    assert response.status_code == 200, response.text
    return parse_metrics(response.text)


def parse_metrics(text: str) -> Samples:
    samples: Samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples: Samples, name: str, **labels: Any) -> float:
    return samples.get((name, tuple(sorted((k, str(v)) for k, v in labels.items()))), 0.0)


def deliveries(samples: Samples, queue: str) -> dict[str, int]:
    """`wallet_consumer_deliveries_total` of `queue` by outcome (outcomes never seen left out)."""
    found = {}
    for (name, labels), count in samples.items():
        label = dict(labels)
        if name == "wallet_consumer_deliveries_total" and label["queue"] == queue and count:
            found[label["outcome"]] = int(count)
    return found


# --------------------------------------------------------------------------- real broker


class RabbitVhost:
    """A private virtual host on the test broker, so these tests neither see nor take
    other tests' messages (the session vhost is shared with the relay's tests)."""

    def __init__(self, control: Any, base_url: str) -> None:
        self._control = control
        self.name = f"wallet-audit-test-{uuid4().hex[:12]}"
        parts = urlsplit(base_url)
        self.url = urlunsplit(parts._replace(path="/" + quote(self.name, safe="")))
        self._user = unquote(parts.username or "guest")

    def create(self) -> None:
        self._control("add_vhost", self.name)
        self._control("set_permissions", "-p", self.name, self._user, ".*", ".*", ".*")

    def delete(self) -> None:
        self._control("delete_vhost", self.name)


async def eventually(
    check: Callable[[], Awaitable[bool]], *, timeout_s: float, interval_s: float = 0.05
) -> None:
    """Poll `check` until it is true; fail after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout_s}s")
        await asyncio.sleep(interval_s)


async def dead_letters(amqp_url: str, queue: str) -> list[aio_pika.abc.AbstractIncomingMessage]:
    """Every message now in `queue` (a DLQ), acknowledged as it is read."""
    connection = await aio_pika.connect(amqp_url)
    try:
        channel = await connection.channel()
        dlq = await channel.get_queue(queue, ensure=True)
        found = []
        while (message := await dlq.get(no_ack=True, fail=False)) is not None:
            found.append(message)
        return found
    finally:
        await connection.close()


def first_death(message: aio_pika.abc.AbstractIncomingMessage) -> dict[str, Any]:
    """The first `x-death` record RabbitMQ put on a dead-lettered message."""
    deaths: Any = message.headers["x-death"]
    return dict(deaths[0])
