"""A relay killed mid-batch loses nothing. Rows it claimed but had not marked sent
are unlocked when PostgreSQL sees the connection die, and the next relay publishes them
again (duplicates allowed: delivery is at-least-once; consumers dedupe by event_id)."""

from __future__ import annotations

from typing import Final

import pytest
from wallet_infra.messaging.topology import AUDIT_QUEUE_NAME, METRICS_QUEUE_NAME
from wallet_testkit.amqp import QueueCollector, purge_queues
from wallet_testkit.polling import eventually

from .relay_harness import RelayProcess, seed_outbox, unsent_count

pytestmark = pytest.mark.integration

BACKLOG: Final = 20_000
DRAIN_TIMEOUT_S: Final = 180.0


async def test_a_relay_killed_mid_batch_loses_no_event(
    private_database_url: str, amqp_url: str
) -> None:
    ids = await seed_outbox(private_database_url, BACKLOG, prefix="crash")
    await purge_queues(amqp_url, AUDIT_QUEUE_NAME, METRICS_QUEUE_NAME)
    first = RelayProcess(database_url=private_database_url, amqp_url=amqp_url)
    second: RelayProcess | None = None
    try:
        async with QueueCollector(amqp_url, AUDIT_QUEUE_NAME) as audit:

            async def flowing() -> bool:
                assert first.alive(), first.log()
                return len(audit.messages) > 0

            await eventually(flowing, timeout_s=60, interval_s=0.01)
            first.kill()
            assert await unsent_count(private_database_url) > 0, "killed too late to test"

            second = RelayProcess(database_url=private_database_url, amqp_url=amqp_url)
            await audit.wait_for(ids, timeout_s=DRAIN_TIMEOUT_S)
            assert second.alive()
            assert len(audit.messages.keys() & set(ids)) == BACKLOG
        assert await unsent_count(private_database_url) == 0
    finally:
        first.close()
        log = second.close() if second is not None else ""
    await purge_queues(amqp_url, AUDIT_QUEUE_NAME, METRICS_QUEUE_NAME)
    assert second.process.returncode == 0, log
