"""The metrics consumer purges its inbox while it serves: every `inbox_purge_interval_s`,
records older than `inbox_retention_h` go (oldest first, in batches, at most
`inbox_purge_max_rows_per_round` a round), counted in `wallet_consumer_inbox_purged_total`;
a failed round is retried; young records, whose events may still come back, stay."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Final
from uuid import UUID, uuid4

import pytest
from faststream.asgi import AsgiFastStream
from metrics_consumer_testkit import InboxStore, InMemoryInboxProvider
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from wallet_domain.use_cases.count_payment_event import METRICS_CONSUMER
from wallet_infra.config.settings import INBOX_PURGE_BATCH
from wallet_metrics_consumer.main import make_app
from wallet_testkit.amqp import RabbitVhost
from wallet_testkit.consumers import NoPause, live_settings, on_test_broker, started, unit_settings
from wallet_testkit.metrics import scrape, value
from wallet_testkit.polling import eventually

TIMEOUT_S: Final = 15.0
FAST: Final = {"inbox_purge_interval_s": 0.02}


async def _purged(app: AsgiFastStream) -> float:
    return value(await scrape(app), "wallet_consumer_inbox_purged_total", consumer="metrics")


async def test_the_purge_runs_every_interval_with_the_configured_retention() -> None:
    store = InboxStore(forget_failures=[ConnectionError("database went away")])
    app = make_app(
        InMemoryInboxProvider(store),
        NoPause(),
        settings=unit_settings(inbox_retention_h=48, **FAST),
    )
    started_at = datetime.now(UTC)

    async with on_test_broker(app):

        async def rounds_after_a_failure() -> bool:
            return len(store.forgets) >= 3

        await eventually(rounds_after_a_failure, timeout_s=TIMEOUT_S)
        assert "wallet_consumer_inbox_purged_total" in {n for n, _ in await scrape(app)}

    assert {(consumer, limit) for consumer, _, limit in store.forgets} == {
        (METRICS_CONSUMER, INBOX_PURGE_BATCH)
    }
    for _, cutoff, _ in store.forgets:
        assert abs(cutoff - (started_at - timedelta(hours=48))) < timedelta(seconds=30)


def test_a_retention_under_a_day_is_refused_at_start_up() -> None:
    with pytest.raises(ValueError, match="inbox_retention_h"):
        unit_settings(inbox_retention_h=23)


async def test_a_round_stops_at_the_configured_cap_and_the_next_one_carries_on() -> None:
    store = InboxStore(expired=INBOX_PURGE_BATCH * 3 + 100)
    app = make_app(
        InMemoryInboxProvider(store),
        NoPause(),
        settings=unit_settings(inbox_purge_max_rows_per_round=INBOX_PURGE_BATCH * 2 + 500, **FAST),
    )

    async with on_test_broker(app):

        async def all_purged() -> bool:
            return await _purged(app) == INBOX_PURGE_BATCH * 3 + 100

        await eventually(all_purged, timeout_s=TIMEOUT_S)

    limits = [limit for _, _, limit in store.forgets]
    # Round 1: two full batches, then one cut to the cap; round 2: a batch finds the last
    # 100 (later rounds find nothing).
    assert limits[:4] == [INBOX_PURGE_BATCH, INBOX_PURGE_BATCH, 500, INBOX_PURGE_BATCH]
    assert set(limits[4:]) <= {INBOX_PURGE_BATCH}


def test_a_cap_under_one_batch_is_refused_at_start_up() -> None:
    assert unit_settings().inbox_purge_max_rows_per_round == 1_000_000
    assert unit_settings(inbox_purge_max_rows_per_round=INBOX_PURGE_BATCH)
    with pytest.raises(ValueError, match="inbox_purge_max_rows_per_round"):
        unit_settings(inbox_purge_max_rows_per_round=INBOX_PURGE_BATCH - 1)


# ------------------------------------------------------------------- real PostgreSQL


async def _seed(engine: AsyncEngine, consumer: str, age: timedelta, count: int) -> set[UUID]:
    event_ids = {uuid4() for _ in range(count)}
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO consumer_inbox (consumer, event_id, processed_at)"
                " VALUES (:consumer, :event_id, now() - CAST(:age AS interval))"
            ),
            [{"consumer": consumer, "event_id": e, "age": age} for e in event_ids],
        )
    return event_ids


async def _present(engine: AsyncEngine, event_ids: set[UUID]) -> set[UUID]:
    async with engine.connect() as conn:
        result = await conn.execute(
            text("SELECT event_id FROM consumer_inbox WHERE event_id = ANY(:ids)"),
            {"ids": list(event_ids)},
        )
        return {UUID(str(row[0])) for row in result}


@pytest.mark.integration
async def test_old_inbox_records_are_purged_while_the_consumer_serves(
    database_url: str, vhost: RabbitVhost, engine: AsyncEngine
) -> None:
    retention = timedelta(hours=24)
    old = await _seed(engine, METRICS_CONSUMER, retention + timedelta(days=30), 5)
    young = await _seed(engine, METRICS_CONSUMER, retention - timedelta(hours=1), 3)
    others = await _seed(engine, "another-consumer", retention * 60, 2)
    app = make_app(settings=live_settings(database_url, vhost.url, inbox_retention_h=24, **FAST))

    async with started(app):

        async def old_ones_counted_as_purged() -> bool:
            return await _purged(app) >= len(old)

        await eventually(old_ones_counted_as_purged, timeout_s=TIMEOUT_S)

    assert await _present(engine, old | young | others) == young | others
