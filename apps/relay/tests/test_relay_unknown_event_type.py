"""An outbox row whose `event_type` this relay does not know (written by a newer API
during a rolling deploy, or left by a rolled-back one) is not claimed: it waits unsent for
a relay that knows it, and the events committed after it are published meanwhile (it
used to fail every batch it was claimed in, holding back the whole table)."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

import pytest
from sqlalchemy import text
from wallet_infra.config.settings import Settings
from wallet_infra.ids import UuidV7Generator
from wallet_infra.messaging.topology import AUDIT_QUEUE_NAME

from .relay_testkit import Outbox, collecting, running_relay

pytestmark = pytest.mark.integration

_ids = UuidV7Generator()


async def _write_row_of_a_newer_version(box: Outbox) -> UUID:
    """An outbox row as a newer API would write it: a type this code does not know."""
    event_id = _ids.new_id()
    async with box.engine.begin() as connection:
        await connection.execute(
            text(
                "INSERT INTO outbox (event_id, event_type, aggregate_id, user_id,"
                " occurred_at, payload) VALUES (:id, 'payment.authorized', :agg, 'relay-test',"
                " :at, CAST('{}' AS jsonb))"
            ),
            {"id": event_id, "agg": _ids.new_id(), "at": datetime.now(UTC)},
        )
    return event_id


async def test_a_row_of_an_unknown_event_type_does_not_stall_the_events_behind_it(
    box: Outbox, private_database_url: str, amqp_url: str
) -> None:
    unknown = await _write_row_of_a_newer_version(box)
    later = await box.add(3)  # ordinary deposit.completed events, committed after it
    settings = Settings(
        database_url=private_database_url,
        amqp_url=amqp_url,
        db_pool_size=3,
        relay_poll_interval_s=0.2,
        relay_max_backoff_s=0.5,
    )  # type: ignore[call-arg]
    async with collecting(amqp_url, AUDIT_QUEUE_NAME) as audit, running_relay(settings):
        await audit.wait_for(later, timeout_s=15)
    async with box.engine.connect() as connection:
        sent_at = await connection.scalar(
            text("SELECT sent_at FROM outbox WHERE event_id = :id"), {"id": unknown}
        )
    assert sent_at is None  # waiting for a relay that knows its type
