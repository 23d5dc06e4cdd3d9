"""Helpers for the cross-process relay tests: seed the outbox, run `wallet-relay`
processes; what reaches the queues is collected by wallet_testkit's `QueueCollector`."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import Any, Final
from uuid import UUID

import asyncpg  # type: ignore[import-untyped]
import orjson
import uuid_utils
from wallet_domain.model.events import DomainEvent, EventType
from wallet_testkit.amqp import QueueCollector as QueueCollector
from wallet_testkit.db import fetch
from wallet_testkit.outbox import Outbox
from wallet_testkit.processes import ServiceProcess, python_module, wallet_env

EVENT_TYPES: Final = tuple(EventType)
OUTBOX_COLUMNS: Final = (
    "event_id",
    "event_type",
    "aggregate_id",
    "user_id",
    "occurred_at",
    "schema_version",
    "payload",
    "traceparent",
)


def new_event_id() -> UUID:
    return UUID(str(uuid_utils.uuid7()))


async def seed_outbox(dsn: str, count: int, *, prefix: str = "seed") -> list[UUID]:
    """Insert `count` unsent events in one COPY (which fires the NOTIFY trigger once)."""
    now = datetime.now(UTC)
    records = []
    ids = []
    for i in range(count):
        event_id = new_event_id()
        ids.append(event_id)
        payload = orjson.dumps({"n": i, "amount": 100 + i, "currency": "USD"}).decode()
        traceparent = f"00-{event_id.hex}-{event_id.hex[:16]}-01"
        event_type = EVENT_TYPES[i % len(EVENT_TYPES)].value
        records.append(
            (event_id, event_type, event_id, f"{prefix}-{i % 50}", now, 1, payload, traceparent)
        )
    connection = await asyncpg.connect(dsn)
    try:
        await connection.copy_records_to_table(
            "outbox", records=records, columns=list(OUTBOX_COLUMNS)
        )
    finally:
        await connection.close()
    return ids


async def write_events(dsn: str, count: int) -> list[UUID]:
    """Commit `count` deposit events through the API's own outbox writer, one transaction."""
    async with Outbox(dsn, pool_size=1) as box:
        return await box.write(
            DomainEvent(
                event_id=new_event_id(),
                event_type=EventType.DEPOSIT_COMPLETED,
                occurred_at=datetime.now(UTC),
                aggregate_id=new_event_id(),
                user_id="outage-test",
                payload={"amount": 500 + n, "currency": "EUR"},
            )
            for n in range(count)
        )


async def unsent_count(dsn: str) -> int:
    [row] = await fetch(dsn, "SELECT count(*) AS n FROM outbox WHERE sent_at IS NULL")
    return int(row["n"])


class RelayProcess(ServiceProcess):
    """One `python -m wallet_relay` subprocess; always `close()` it (in a finally)."""

    def __init__(self, *, database_url: str, amqp_url: str, **settings: Any) -> None:
        env = {
            **os.environ,
            **wallet_env(
                database_url=database_url,
                amqp_url=amqp_url,
                log_format="json",
                db_pool_size=2,
                db_max_overflow=2,
                **settings,
            ),
        }
        env.pop("WALLET_CONFIG_FILE", None)
        super().__init__("wallet_relay", python_module("wallet_relay"), env)
