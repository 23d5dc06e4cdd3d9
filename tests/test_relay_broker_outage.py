"""While RabbitMQ is down, events wait in the database; when it is back, every one
of them is published by the same relay process, which never exited.

Stopping RabbitMQ affects every client on this machine, so the outage is kept short:
the broker is started again as soon as the relay has seen it gone.
"""

from __future__ import annotations

from typing import Any, Final

import pytest
from wallet_infra.messaging.topology import AUDIT_QUEUE_NAME, METRICS_QUEUE_NAME
from wallet_testkit.amqp import QueueCollector, purge_queues
from wallet_testkit.polling import eventually

from .relay_harness import RelayProcess, seed_outbox, write_events

pytestmark = pytest.mark.integration

START_TIMEOUT_S: Final = 30.0
RECOVERY_TIMEOUT_S: Final = 60.0


async def test_no_event_is_lost_while_the_broker_is_down(
    private_database_url: str, amqp_url: str, broker_outage: Any
) -> None:
    relay = RelayProcess(
        database_url=private_database_url, amqp_url=amqp_url, relay_max_backoff_s=2
    )
    try:
        async with QueueCollector(amqp_url, AUDIT_QUEUE_NAME) as audit:
            await audit.wait_for(
                await seed_outbox(private_database_url, 1), timeout_s=START_TIMEOUT_S
            )
        await purge_queues(amqp_url, AUDIT_QUEUE_NAME, METRICS_QUEUE_NAME)

        broker_outage.stop()
        try:
            ids = await write_events(private_database_url, 25)

            async def relay_saw_the_outage() -> bool:
                assert relay.alive(), relay.log()
                return "broker unavailable" in relay.log()

            await eventually(relay_saw_the_outage, timeout_s=30, interval_s=0.1)
        finally:
            broker_outage.start()

        async with QueueCollector(amqp_url, AUDIT_QUEUE_NAME) as audit:
            await audit.wait_for(ids, timeout_s=RECOVERY_TIMEOUT_S)
        assert relay.alive(), "the relay must ride out the outage, not exit"

        # Logged after the batch's confirms, which the collector may see first.
        async def relay_says_it_recovered() -> bool:
            return "relay recovered" in relay.log()

        await eventually(relay_says_it_recovered, timeout_s=10, interval_s=0.1)
    finally:
        log = relay.close()
    assert relay.process.returncode == 0, log
