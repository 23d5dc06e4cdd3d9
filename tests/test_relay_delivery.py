"""The relay as a process: committed outbox rows reach the queues, quickly, as envelopes."""

from __future__ import annotations

from typing import Final

import pytest
from wallet_domain.model.events import EventType
from wallet_infra.messaging.envelope import decode_envelope
from wallet_infra.messaging.topology import AUDIT_QUEUE_NAME, METRICS_QUEUE_NAME, QUEUE_BINDINGS

from .relay_harness import QueueCollector, RelayProcess, seed_outbox

pytestmark = pytest.mark.integration

START_TIMEOUT_S: Final = 30.0
# NOTIFY wakes the relay at once; the poll interval is set far above this bound, so
# meeting it proves the wake-up did not come from the timer.
WAKE_BOUND_S: Final = 5.0
POLL_INTERVAL_S: Final = 30.0


async def test_events_reach_their_queues_as_envelopes_and_notify_wakes_the_relay(
    amqp_url: str, private_database_url: str
) -> None:
    relay = RelayProcess(
        database_url=private_database_url,
        amqp_url=amqp_url,
        relay_poll_interval_s=POLL_INTERVAL_S,
    )
    try:
        async with (
            QueueCollector(amqp_url, AUDIT_QUEUE_NAME) as audit,
            QueueCollector(amqp_url, METRICS_QUEUE_NAME) as metrics,
        ):
            # The first event's arrival proves the relay is up and listening.
            first = await seed_outbox(private_database_url, 1, prefix="first")
            await audit.wait_for(first, timeout_s=START_TIMEOUT_S)

            ids = await seed_outbox(private_database_url, 50)
            took = await audit.wait_for(ids, timeout_s=WAKE_BOUND_S)

            # The metrics queue is bound to `<kind>.*` keys: what it must get, and nothing else.
            bound = QUEUE_BINDINGS[METRICS_QUEUE_NAME]
            metrics_ids = {
                i for n, i in enumerate(ids) if f"{_type_of(n).split('.')[0]}.*" in bound
            }
            await metrics.wait_for(metrics_ids, timeout_s=WAKE_BOUND_S)
            assert not (metrics.messages.keys() & (set(ids) - metrics_ids))

            message = audit.messages[ids[0]]
            event = decode_envelope(message.body)
            assert event.event_id == ids[0]
            assert message.content_type == "application/json"
            assert message.delivery_mode == 2
            assert message.routing_key == event.event_type.value
            # The publish continues the event's trace: same trace id and flags (the span id
            # is the relay's publish span's when tracing is on, the row's when it is off).
            version, trace_id, _, flags = str(message.headers["traceparent"]).split("-")
            assert (version, trace_id, flags) == ("00", ids[0].hex, "01")
        assert took < WAKE_BOUND_S
        assert relay.alive()
    finally:
        log = relay.close()
    assert relay.process.returncode == 0, log


def _type_of(n: int) -> str:
    types = tuple(EventType)
    return types[n % len(types)].value
