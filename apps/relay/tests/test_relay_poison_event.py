"""Events the real broker keeps refusing (refunds made unroutable: the one queue binding
`refund.*` is unbound) wait out their own retry delays on their outbox rows, while the
events committed with or after them are published at once; they are offered again on
their schedule and published once they route.

The relay used to pace its loop on them instead: each batch with a failed event doubled a
pause (up to WALLET_RELAY_MAX_BACKOFF_S) every event behind it waited out too, and a
batch's worth of failing events (the oldest ids) filled every claim.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Final
from uuid import UUID

import aio_pika
import pytest
import structlog
from sqlalchemy import func, select
from wallet_domain.model.events import EventType
from wallet_infra.config.settings import Settings
from wallet_infra.messaging.topology import AUDIT_QUEUE_NAME, EVENTS_EXCHANGE
from wallet_infra.persistence.tables import outbox
from wallet_testkit.amqp import QueueCollector, RabbitVhost
from wallet_testkit.polling import eventually

from .relay_testkit import Outbox, collecting, running_relay

pytestmark = pytest.mark.integration

# Only audit.queue binds refund.*: unbound, a refund.created event is returned unroutable.
POISON_KEY: Final = "refund.*"
# A healthy event reaches the queue within this, failing events or not. A loop pausing
# 0.1 s doubling per failing batch pauses longer than this from its 5th failing batch on.
HEALTHY_BOUND_S: Final = 1.5
ROUNDS: Final = 8
RETRY_LOG: Final = "events not confirmed, each retried on its own schedule"


def _settings(database_url: str, amqp_url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "database_url": database_url,
        "amqp_url": amqp_url,
        "db_pool_size": 3,
        "relay_poll_interval_s": 0.1,  # claims the due retries promptly
        "relay_max_backoff_s": 30.0,  # the loop's pause, were it paced on failed events
        "relay_retry_base_s": 0.1,
        "relay_retry_max_s": 0.4,
        **overrides,
    }
    return Settings(**values)  # type: ignore[arg-type]


@asynccontextmanager
async def _relay(
    database_url: str, vhost: RabbitVhost, **overrides: object
) -> AsyncIterator[QueueCollector]:
    """A relay running on `vhost`, up (its topology declared) when this yields what
    reaches audit.queue."""
    settings = _settings(database_url, vhost.url, **overrides)
    box = Outbox(database_url)
    try:
        async with (
            collecting(vhost.url, AUDIT_QUEUE_NAME) as audit,
            running_relay(settings) as task,
        ):
            await audit.wait_for(await box.add(1), timeout_s=20)
            yield audit
            assert not task.done()
    finally:
        await box.close()


@asynccontextmanager
async def _unroutable_refunds(amqp_url: str) -> AsyncIterator[None]:
    """audit.queue without its `refund.*` binding (bound again on the way out)."""
    connection = await aio_pika.connect(amqp_url)
    try:
        channel = await connection.channel()
        queue = await channel.get_queue(AUDIT_QUEUE_NAME, ensure=True)
        await queue.unbind(EVENTS_EXCHANGE.name, POISON_KEY)
        try:
            yield
        finally:
            await queue.bind(EVENTS_EXCHANGE.name, POISON_KEY)
    finally:
        await connection.close()


async def _attempts(box: Outbox, event_ids: list[UUID]) -> int:
    """The fewest failed attempts among `event_ids`."""
    async with box.engine.connect() as connection:
        query = select(func.min(outbox.c.attempts)).where(outbox.c.event_id.in_(event_ids))
        return int((await connection.execute(query)).scalar_one())


async def _retried_again(box: Outbox, event_ids: list[UUID]) -> None:
    """Until each of `event_ids` failed once more than now (on its own schedule)."""
    seen = await _attempts(box, event_ids)

    async def retried() -> bool:
        return await _attempts(box, event_ids) > seen

    await eventually(retried, timeout_s=10)


async def test_events_committed_with_failing_ones_are_published_at_full_pace(
    box: Outbox, private_database_url: str, vhost: RabbitVhost
) -> None:
    poison: list[UUID] = []
    with structlog.testing.capture_logs() as logs:
        async with _relay(private_database_url, vhost) as audit:
            async with _unroutable_refunds(vhost.url):
                for _ in range(ROUNDS):
                    # One commit, so one batch: a refund that fails and a deposit that
                    # must wait neither for it nor for the refunds failing before it.
                    refund, healthy = await box.add_each(
                        EventType.REFUND_CREATED, EventType.DEPOSIT_COMPLETED
                    )
                    poison.append(refund)
                    took = await audit.wait_for([healthy], timeout_s=HEALTHY_BOUND_S)
                    assert took < HEALTHY_BOUND_S
                await _retried_again(box, poison)
                assert not audit.messages.keys() & set(poison)
            await audit.wait_for(poison, timeout_s=10)  # routable again: a retry publishes
    assert await box.unsent() == 0
    named = {
        event_id for entry in logs if entry["event"] == RETRY_LOG for event_id in entry["event_ids"]
    }
    assert named == {str(event_id) for event_id in poison}


async def test_a_batch_worth_of_failing_events_does_not_hold_back_newer_ones(
    box: Outbox, private_database_url: str, vhost: RabbitVhost
) -> None:
    async with _relay(private_database_url, vhost, relay_batch_size=5) as audit:
        async with _unroutable_refunds(vhost.url):
            poison = await box.add(5, EventType.REFUND_CREATED)  # the oldest ids: a claim

            async def all_failed_twice() -> bool:
                return await _attempts(box, poison) >= 2

            await eventually(all_failed_twice, timeout_s=10)
            for _ in range(3):
                healthy = await box.add(7)  # more than a batch
                took = await audit.wait_for(healthy, timeout_s=HEALTHY_BOUND_S)
                assert took < HEALTHY_BOUND_S
            await _retried_again(box, poison)
            assert not audit.messages.keys() & set(poison)
        await audit.wait_for(poison, timeout_s=10)
    assert await box.unsent() == 0
