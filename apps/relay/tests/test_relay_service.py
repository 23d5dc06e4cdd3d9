"""The relay service in-process, on the real database and broker: it drains the outbox,
wakes on NOTIFY, rides out broker trouble without losing events, purges, and stops."""

from __future__ import annotations

import itertools
import time
from collections.abc import Sequence
from typing import Final
from uuid import UUID

import asyncpg  # type: ignore[import-untyped]
import pytest
import structlog
from dishka import Provider, Scope, provide
from faststream.rabbit import RabbitBroker
from sqlalchemy import text
from wallet_domain.model.events import EventType
from wallet_domain.model.outbox_message import OutboxMessage
from wallet_domain.ports.event_publisher import BrokerUnavailable, EventPublisher
from wallet_infra.config.settings import Settings
from wallet_infra.messaging.publisher import FaststreamEventPublisher
from wallet_infra.messaging.topology import AUDIT_QUEUE_NAME
from wallet_relay.wakeup import LISTENER_APPLICATION_NAME, listener_connect_args
from wallet_testkit.db import listening_sessions
from wallet_testkit.polling import eventually, until

from .relay_testkit import Outbox, collecting, running_relay

pytestmark = pytest.mark.integration

# The poll timer is far above every bound below: meeting a bound proves NOTIFY (or a full
# batch) woke the relay, not the timer.
SLOW_POLL_S: Final = 30.0
WAKE_BOUND_S: Final = 5.0


def settings_for(database_url: str, amqp_url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "database_url": database_url,
        "amqp_url": amqp_url,
        "db_pool_size": 3,
        "relay_poll_interval_s": SLOW_POLL_S,
        "relay_max_backoff_s": 0.5,
        **overrides,
    }
    return Settings(**values)  # type: ignore[arg-type]


async def test_committed_events_reach_the_queue_and_notify_wakes_the_relay(
    box: Outbox, private_database_url: str, amqp_url: str
) -> None:
    settings = settings_for(private_database_url, amqp_url)
    async with collecting(amqp_url, AUDIT_QUEUE_NAME) as audit, running_relay(settings) as task:
        first = await box.add(1)
        await audit.wait_for(first, timeout_s=20)  # the relay is up
        later = await box.add(5, EventType.REFUND_CREATED)
        took = await audit.wait_for(later, timeout_s=WAKE_BOUND_S)
        assert not task.done()
    assert took < WAKE_BOUND_S
    assert task.exception() is None
    assert await box.unsent() == 0


async def test_a_full_batch_is_followed_at_once_by_the_next(
    box: Outbox, private_database_url: str, amqp_url: str
) -> None:
    settings = settings_for(private_database_url, amqp_url, relay_batch_size=7)
    async with collecting(amqp_url, AUDIT_QUEUE_NAME) as audit, running_relay(settings):
        ids = await box.add(100)  # one commit, one NOTIFY, 15 batches
        await audit.wait_for(ids, timeout_s=WAKE_BOUND_S)


async def test_events_committed_within_the_linger_share_one_batch(
    box: Outbox, private_database_url: str, amqp_url: str
) -> None:
    # Far above the time two back-to-back commits take, far below WAKE_BOUND_S.
    settings = settings_for(private_database_url, amqp_url, relay_linger_ms=500)
    async with collecting(amqp_url, AUDIT_QUEUE_NAME) as audit, running_relay(settings):
        await audit.wait_for(await box.add(1), timeout_s=20)  # the relay is up and idle
        first = await box.add(1)  # its NOTIFY wakes the relay, which lingers...
        second = await box.add(1)  # ...so this later commit joins the same claim
        await audit.wait_for(first + second, timeout_s=WAKE_BOUND_S)
    sent = await box.sent_at(first + second)
    assert sent[first[0]] is not None
    assert sent[first[0]] == sent[second[0]]  # one batch: one confirm, one mark


async def test_an_unreachable_broker_is_retried_until_stopped(
    box: Outbox, private_database_url: str
) -> None:
    settings = settings_for(private_database_url, "amqp://guest:guest@127.0.0.1:1/")
    await box.add(3)
    with structlog.testing.capture_logs() as logs:
        async with running_relay(settings) as task:

            async def retried_a_few_times() -> bool:
                assert not task.done(), "the relay must keep retrying, not exit"
                return sum(entry["event"] == "rabbitmq_not_ready_retrying" for entry in logs) >= 3

            await eventually(retried_a_few_times, timeout_s=20)
    assert task.exception() is None
    assert await box.unsent() == 3


class FlakyPublisher(EventPublisher):
    """The real publisher behind a broker that fails the first `outages` calls with
    `error` (an outage, or something nobody expected)."""

    def __init__(self, real: EventPublisher, outages: int, error: Exception) -> None:
        self._real = real
        self.outages = outages
        self.error = error
        self.calls = 0

    async def publish_batch(self, messages: Sequence[OutboxMessage]) -> set[UUID]:
        self.calls += 1
        if self.calls <= self.outages:
            raise self.error
        return await self._real.publish_batch(messages)


class FlakyProvider(Provider):
    def __init__(self, error: Exception | None = None) -> None:
        super().__init__(scope=Scope.APP)
        self._error = error or BrokerUnavailable("simulated outage")
        self.publisher: FlakyPublisher | None = None

    @provide
    def event_publisher(self, broker: RabbitBroker) -> EventPublisher:
        real = FaststreamEventPublisher(broker=broker)
        self.publisher = FlakyPublisher(real, outages=4, error=self._error)
        return self.publisher


@pytest.mark.parametrize(
    "error",
    [BrokerUnavailable("simulated outage"), RuntimeError("a bug in a batch")],
    ids=["broker-outage", "unexpected-error"],
)
async def test_events_wait_out_failing_batches_and_none_is_lost(
    box: Outbox, private_database_url: str, amqp_url: str, error: Exception
) -> None:
    flaky = FlakyProvider(error)
    settings = settings_for(private_database_url, amqp_url)
    async with (
        collecting(amqp_url, AUDIT_QUEUE_NAME) as audit,
        running_relay(settings, flaky) as task,
    ):
        ids = await box.add(20)
        await audit.wait_for(ids, timeout_s=20)
        assert not task.done()
    assert flaky.publisher is not None
    assert flaky.publisher.calls > flaky.publisher.outages
    assert await box.unsent() == 0


class RecordingPublisher(EventPublisher):
    """A broker that confirms nothing: it returns every event (no queue bound), or is
    unavailable as a whole (`down`). Records when each batch was offered."""

    def __init__(self, *, down: bool) -> None:
        self.down = down
        self.calls: list[float] = []

    async def publish_batch(self, messages: Sequence[OutboxMessage]) -> set[UUID]:
        self.calls.append(time.monotonic())
        if self.down:
            raise BrokerUnavailable("simulated outage")
        return set()


class RecordingProvider(Provider):
    def __init__(self, *, down: bool) -> None:
        super().__init__(scope=Scope.APP)
        self.publisher = RecordingPublisher(down=down)

    @provide
    def event_publisher(self) -> EventPublisher:
        return self.publisher


async def _attempts(box: Outbox, event_id: UUID) -> int:
    async with box.engine.connect() as connection:
        query = text("SELECT attempts FROM outbox WHERE event_id = :id")
        return int(await connection.scalar(query, {"id": event_id}))


def _pauses(calls: list[float]) -> list[float]:
    return [later - earlier for earlier, later in itertools.pairwise(calls)]


async def test_an_event_the_broker_keeps_returning_is_retried_after_a_growing_pause(
    box: Outbox, private_database_url: str, amqp_url: str
) -> None:
    returning = RecordingProvider(down=False)
    settings = settings_for(
        private_database_url,
        amqp_url,
        relay_poll_interval_s=0.02,  # a due retry is claimed within this
        relay_retry_base_s=0.1,
        relay_retry_max_s=10.0,
    )
    (event_id,) = await box.add(1)
    async with running_relay(settings, returning):
        await until(lambda: len(returning.publisher.calls) >= 6, timeout_s=20)
    pauses = _pauses(returning.publisher.calls)
    # The event's own delay, 0.1 s doubling per failed attempt, kept on its row: it is
    # not claimed before (the relay polls every 20 ms meanwhile).
    assert all(pause >= 0.1 * 2**n for n, pause in enumerate(pauses[:5])), pauses
    assert await _attempts(box, event_id) >= 6


async def test_an_unavailable_broker_is_retried_after_a_growing_pause(
    box: Outbox, private_database_url: str, amqp_url: str
) -> None:
    unavailable = RecordingProvider(down=True)
    settings = settings_for(private_database_url, amqp_url, relay_max_backoff_s=10.0)
    (event_id,) = await box.add(1)
    async with running_relay(settings, unavailable):
        await until(lambda: len(unavailable.publisher.calls) >= 6, timeout_s=20)
    pauses = _pauses(unavailable.publisher.calls)
    # The loop's backoff: the n-th pause is drawn from [c/2, c], c = 0.1 s * 2**n. It
    # doubles, batch after failing batch, instead of spinning on the outage; no attempt
    # is counted against the events (they are due again at once when it ends).
    assert all(pause >= 0.05 * 2**n for n, pause in enumerate(pauses[:5])), pauses
    assert await _attempts(box, event_id) == 0


async def test_the_listener_reconnects_when_its_connection_dies(
    box: Outbox, private_database_url: str, amqp_url: str
) -> None:
    settings = settings_for(private_database_url, amqp_url)
    async with collecting(amqp_url, AUDIT_QUEUE_NAME) as audit, running_relay(settings):
        await audit.wait_for(await box.add(1), timeout_s=20)
        assert await _terminate_listeners(private_database_url) == 1

        async def listening_again() -> bool:
            return await listening_sessions(private_database_url, LISTENER_APPLICATION_NAME) == 1

        await eventually(listening_again, timeout_s=10)
        ids = await box.add(3)
        assert await audit.wait_for(ids, timeout_s=WAKE_BOUND_S) < WAKE_BOUND_S


async def test_sent_events_are_purged_after_the_retention(
    box: Outbox, private_database_url: str, amqp_url: str
) -> None:
    settings = settings_for(
        private_database_url, amqp_url, relay_retention_h=0, relay_purge_interval_s=0.2
    )
    async with collecting(amqp_url, AUDIT_QUEUE_NAME) as audit, running_relay(settings):
        ids = await box.add(10)
        await audit.wait_for(ids, timeout_s=20)

        async def purged() -> bool:
            return await _outbox_rows(private_database_url) == 0

        await eventually(purged, timeout_s=10)


async def _admin(dsn: str, query: str) -> int:
    args = listener_connect_args(dsn)
    args["server_settings"] = {"application_name": "relay-test-admin"}
    connection = await asyncpg.connect(**args)
    try:
        return int(await connection.fetchval(query))
    finally:
        await connection.close()


async def _terminate_listeners(dsn: str) -> int:
    return await _admin(
        dsn,
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
        f"WHERE datname = current_database() AND application_name = '{LISTENER_APPLICATION_NAME}'",
    )


async def _outbox_rows(dsn: str) -> int:
    return await _admin(dsn, "SELECT count(*) FROM outbox")
