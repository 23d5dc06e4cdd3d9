"""InboxPurge, the periodic job of the metrics consumer: each round's deletions counted,
a round stopped at its cap and the next one carrying on (on PostgreSQL too), a failed
round logged (its type only) and retried next interval, stopped cleanly even
mid-statement."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Final
from uuid import UUID, uuid4

import pytest
from prometheus_client import CollectorRegistry
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from structlog.testing import capture_logs
from wallet_domain.ports.consumer_inbox import ConsumerInbox
from wallet_domain.use_cases.purge_consumer_inbox import PurgeConsumerInbox, PurgeInboxRequest
from wallet_infra.clock import SystemClock
from wallet_infra.consuming.inbox_purge import InboxPurge
from wallet_infra.persistence.consumer_inbox import AsyncpgConsumerInbox
from wallet_testkit.polling import eventually

TIMEOUT_S: Final = 5.0
RETENTION: Final = timedelta(days=7)
SECOND: Final = timedelta(seconds=1)
PURGE_TASK: Final = "inbox-purge-metrics"  # the job's task, named after its consumer
REQUEST: Final = PurgeInboxRequest(
    consumer="metrics", older_than=RETENTION, batch=10, max_rows=1_000
)


class ScriptedInbox(ConsumerInbox):
    """`forget_before` answers from `script` (a count, or an error to raise), then 0;
    `hang` makes it wait until cancelled."""

    def __init__(self, *script: int | Exception) -> None:
        self.script = list(script)
        self.calls = 0
        self.hang = False
        self.cancelled = False

    async def first_time(self, consumer: str, event_id: UUID) -> bool:
        raise NotImplementedError

    async def forget_before(self, consumer: str, cutoff: datetime, limit: int) -> int:
        self.calls += 1
        if self.hang:
            try:
                await asyncio.Event().wait()
            except asyncio.CancelledError:
                self.cancelled = True
                raise
        step = self.script.pop(0) if self.script else 0
        if isinstance(step, Exception):
            raise step
        return step


def _job(
    inbox: ConsumerInbox,
    registry: CollectorRegistry,
    interval_s: float = 0.01,
    request: PurgeInboxRequest = REQUEST,
) -> InboxPurge:
    purge = PurgeConsumerInbox(inbox=inbox, clock=SystemClock())
    return InboxPurge(purge=purge, request=request, interval_s=interval_s, registry=registry)


def _purged(registry: CollectorRegistry, consumer: str = "metrics") -> float | None:
    return registry.get_sample_value("wallet_consumer_inbox_purged_total", {"consumer": consumer})


async def test_a_round_deletes_every_batch_and_counts_the_rows() -> None:
    registry = CollectorRegistry()
    job = _job(ScriptedInbox(10, 10, 3), registry)

    assert await job.run_once() == 23
    assert await job.run_once() == 0
    assert _purged(registry) == 23


async def test_a_round_stops_at_its_cap_and_logs_it() -> None:
    registry = CollectorRegistry()
    inbox = ScriptedInbox(*[10] * 120)  # more old records than one round may delete
    job = _job(inbox, registry)

    with capture_logs() as logs:
        assert await job.run_once() == 1_000
        assert inbox.calls == 100
        assert await job.run_once() == 200  # the rest: 10 full batches, then none left
        assert inbox.calls == 121

    assert _purged(registry) == 1_200
    rounds = [(e["deleted"], e["capped"]) for e in logs if e["event"] == "consumer_inbox_purged"]
    assert rounds == [(1_000, True), (200, False)]


async def test_a_failed_round_is_logged_without_its_message_and_retried() -> None:
    registry = CollectorRegistry()
    inbox = ScriptedInbox(ConnectionError("password=hunter2 SELECT secret"), 4)
    job = _job(inbox, registry)

    with capture_logs() as logs:
        await job.start()
        try:
            await eventually(lambda: _async(_purged(registry) == 4), timeout_s=TIMEOUT_S)
        finally:
            await job.stop()

    [failure] = [e for e in logs if e["event"] == "consumer_inbox_purge_failed"]
    assert failure["error"] == "ConnectionError"
    assert failure["log_level"] == "warning"
    assert "hunter2" not in repr(logs)
    assert "SELECT" not in repr(logs)
    assert [e["deleted"] for e in logs if e["event"] == "consumer_inbox_purged"] == [4]


async def test_stop_cancels_a_round_waiting_on_the_database() -> None:
    inbox = ScriptedInbox()
    inbox.hang = True
    job = _job(inbox, CollectorRegistry(), interval_s=3600)
    await job.start()
    await eventually(lambda: _async(inbox.calls == 1), timeout_s=TIMEOUT_S)

    await asyncio.wait_for(job.stop(), timeout=TIMEOUT_S)

    assert inbox.cancelled
    await job.stop()  # a second stop is a no-op


async def test_rounds_repeat_every_interval_until_stopped() -> None:
    inbox = ScriptedInbox()
    job = _job(inbox, CollectorRegistry())
    await job.start()
    await eventually(lambda: _async(inbox.calls >= 3), timeout_s=TIMEOUT_S)
    await job.stop()

    # Stopped means gone: no task is left that could run another round.
    assert not [task for task in asyncio.all_tasks() if task.get_name() == PURGE_TASK]


async def _async(value: bool) -> bool:
    return value


# ------------------------------------------------------------------- real PostgreSQL


@pytest.mark.integration
async def test_on_postgres_a_round_deletes_the_cap_oldest_first_and_the_next_carries_on(
    engine: AsyncEngine,
) -> None:
    consumer = f"purge-cap-{uuid4().hex[:8]}"  # the shared database: only our rows count
    oldest_first = [uuid4() for _ in range(60)]
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO consumer_inbox (consumer, event_id, processed_at)"
                " VALUES (:consumer, :event_id, now() - CAST(:age AS interval))"
            ),
            [
                {"consumer": consumer, "event_id": event_id, "age": RETENTION * 2 - n * SECOND}
                for n, event_id in enumerate(oldest_first)
            ],
        )
    inbox = AsyncpgConsumerInbox(engine=engine)
    registry = CollectorRegistry()
    request = PurgeInboxRequest(consumer=consumer, older_than=RETENTION, batch=10, max_rows=25)
    job = _job(inbox, registry, interval_s=3600, request=request)
    try:
        assert await job.run_once() == 25  # 10 + 10 + 5: the last batch shortened
        assert await _left(engine, consumer) == oldest_first[25:]
        assert await job.run_once() == 25
        assert await _left(engine, consumer) == oldest_first[50:]
        assert await job.run_once() == 10
        assert await job.run_once() == 0
    finally:
        await inbox.aclose()
    assert _purged(registry, consumer) == 60


async def _left(engine: AsyncEngine, consumer: str) -> list[UUID]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT event_id FROM consumer_inbox WHERE consumer = :consumer"
                " ORDER BY processed_at"
            ),
            {"consumer": consumer},
        )
        return [UUID(str(row[0])) for row in rows]
