"""N relays may run. Two processes on one backlog publish every event exactly once
between them (SKIP LOCKED hands each batch to one of them; a duplicate needs a crash),
and both take part.

The backlog is written only once both relays listen: one relay alone drains 3,000 events
in about a second, less than the other may take to start on a loaded machine, and the
one NOTIFY of the backlog's COPY then wakes both at the same moment."""

from __future__ import annotations

from typing import Final

import pytest
from wallet_infra.messaging.topology import AUDIT_QUEUE_NAME, METRICS_QUEUE_NAME
from wallet_relay.wakeup import LISTENER_APPLICATION_NAME
from wallet_testkit.amqp import QueueCollector, purge_queues
from wallet_testkit.db import listening_sessions
from wallet_testkit.metrics import scrape_url, value
from wallet_testkit.polling import eventually
from wallet_testkit.processes import free_port

from .relay_harness import RelayProcess, seed_outbox, unsent_count

pytestmark = pytest.mark.integration

BACKLOG: Final = 3_000
DRAIN_TIMEOUT_S: Final = 120.0
START_TIMEOUT_S: Final = 60.0


async def _all_listening(dsn: str, relays: int) -> bool:
    return await listening_sessions(dsn, LISTENER_APPLICATION_NAME) == relays


async def test_two_relays_drain_a_backlog_together(
    private_database_url: str, amqp_url: str
) -> None:
    ports = [free_port(), free_port()]
    relays = [
        RelayProcess(
            database_url=private_database_url,
            amqp_url=amqp_url,
            relay_batch_size=100,
            relay_metrics_port=port,
        )
        for port in ports
    ]
    try:
        await eventually(
            lambda: _all_listening(private_database_url, len(relays)), timeout_s=START_TIMEOUT_S
        )
        ids = await seed_outbox(private_database_url, BACKLOG, prefix="scale")
        async with QueueCollector(amqp_url, AUDIT_QUEUE_NAME) as audit:
            await audit.wait_for(ids, timeout_s=DRAIN_TIMEOUT_S)
            assert all(relay.alive() for relay in relays)
            assert await unsent_count(private_database_url) == 0
            published = [
                value(await scrape_url(f"http://127.0.0.1:{port}"), "wallet_relay_published_total")
                for port in ports
            ]
            # Each relay published a share, and none an event the other did: the
            # broker confirmed exactly one copy of each.
            assert all(share > 0 for share in published), published
            assert sum(published) == BACKLOG, published
            # What the queue delivered so far: one copy of each event, none twice.
            assert audit.deliveries == BACKLOG
    finally:
        logs = [relay.close() for relay in relays]
    await purge_queues(amqp_url, AUDIT_QUEUE_NAME, METRICS_QUEUE_NAME)
    assert [relay.process.returncode for relay in relays] == [0, 0], logs
