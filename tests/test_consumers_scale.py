"""N instances side by side: two relays and two instances of each consumer on 1,000
payments, plus a redelivery of every event. The audit log holds each event exactly once;
the metrics, summed over the instances, equal the true counts."""

from __future__ import annotations

import asyncio
from typing import Any, Final

import pytest
from wallet_infra.messaging.topology import AUDIT_QUEUE_NAME, METRICS_QUEUE_NAME
from wallet_testkit.amqp import connected_broker, publish_body
from wallet_testkit.db import fetch
from wallet_testkit.metrics import total

from .consumers_harness import ConsumerProcess, Stack, eventually, healthy_consumers, running_api

pytestmark = pytest.mark.integration

PAYMENTS: Final = 1_000
_COUNTED: Final = ("payment.", "deposit.")
WALLETS: Final = 50
CONCURRENCY: Final = 20
DRAIN_TIMEOUT_S: Final = 120.0


async def _drive_payments(consumers_stack: Stack) -> None:
    """1,000 payments over 50 wallets, in USD and EUR, one in five declined."""
    async with running_api(consumers_stack) as api:
        wallets = await asyncio.gather(
            *(api.wallet_with({"USD": 10_000_000, "EUR": 10_000_000}) for _ in range(WALLETS))
        )
        slots = asyncio.Semaphore(CONCURRENCY)

        async def one(i: int) -> int:
            reference = f"mock:declined:bill-{i}" if i % 5 == 0 else f"bill-{i}"
            async with slots:
                response = await api.pay(
                    wallets[i % WALLETS],
                    100 + i,
                    reference,
                    currency="EUR" if i % 3 == 0 else "USD",
                )
            return response.status_code

        statuses = await asyncio.gather(*(one(i) for i in range(PAYMENTS)))
    assert sorted(set(statuses)) == [201, 402]


async def _deliveries(instances: list[ConsumerProcess], queue: str) -> dict[str, float]:
    samples = [await instance.metrics() for instance in instances]
    outcomes = ("processed", "duplicate", "retried", "dead_lettered")
    return {
        outcome: total(samples, "wallet_consumer_deliveries_total", queue=queue, outcome=outcome)
        for outcome in outcomes
    }


async def _wait_handled(instances: list[ConsumerProcess], queue: str, at_least: int) -> None:
    async def handled() -> bool:
        return sum((await _deliveries(instances, queue)).values()) >= at_least

    await eventually(handled, timeout_s=DRAIN_TIMEOUT_S, interval_s=0.5)


async def _redeliver_everything(consumers_stack: Stack) -> None:
    """Publish every outbox event once more, as an at-least-once relay may."""
    rows = await fetch(consumers_stack.database_url, "SELECT * FROM outbox ORDER BY event_id")
    async with connected_broker(consumers_stack.amqp_url) as broker:
        for row in rows:
            await publish_body(
                broker, _envelope(row), row["event_type"], message_id=str(row["event_id"])
            )


def _envelope(row: Any) -> bytes:
    import orjson

    return orjson.dumps(
        {
            "event_id": str(row["event_id"]),
            "event_type": row["event_type"],
            "occurred_at": row["occurred_at"].isoformat(),
            "aggregate_id": str(row["aggregate_id"]),
            "user_id": row["user_id"],
            "schema_version": row["schema_version"],
            "payload": orjson.loads(row["payload"]),
        }
    )


async def test_two_of_everything_store_and_count_each_event_once(consumers_stack: Stack) -> None:
    async with healthy_consumers(consumers_stack, instances=2) as consumers:
        audits, counters = consumers.audits, consumers.counters
        consumers.start_relays(2)

        await _drive_payments(consumers_stack)

        events = await fetch(
            consumers_stack.database_url, "SELECT event_type, count(*) AS n FROM outbox GROUP BY 1"
        )
        by_type = {row["event_type"]: int(row["n"]) for row in events}
        all_events = sum(by_type.values())
        # What metrics.queue carries: payment and deposit events here.
        payment_events = sum(n for t, n in by_type.items() if t.startswith(_COUNTED))
        assert by_type["payment.created"] == PAYMENTS
        await _wait_handled(audits, AUDIT_QUEUE_NAME, all_events)
        await _wait_handled(counters, METRICS_QUEUE_NAME, payment_events)

        await _redeliver_everything(consumers_stack)
        await _wait_handled(audits, AUDIT_QUEUE_NAME, 2 * all_events)
        await _wait_handled(counters, METRICS_QUEUE_NAME, 2 * payment_events)

        audit_outcomes = await _deliveries(audits, AUDIT_QUEUE_NAME)
        assert audit_outcomes["processed"] == all_events
        assert audit_outcomes["retried"] == audit_outcomes["dead_lettered"] == 0
        metrics_outcomes = await _deliveries(counters, METRICS_QUEUE_NAME)
        assert metrics_outcomes["processed"] == payment_events
        assert metrics_outcomes["retried"] == metrics_outcomes["dead_lettered"] == 0
        # Both instances of each consumer took part.
        for instance in (*audits, *counters):
            queue = AUDIT_QUEUE_NAME if instance in audits else METRICS_QUEUE_NAME
            assert (await _deliveries([instance], queue))["processed"] > 0

        [check] = await fetch(
            consumers_stack.database_url,
            "SELECT (SELECT count(*) FROM audit_log) AS audited,"
            " (SELECT count(DISTINCT event_id) FROM audit_log) AS distinct_audited,"
            " (SELECT count(*) FROM outbox o WHERE NOT EXISTS"
            "   (SELECT 1 FROM audit_log a WHERE a.event_id = o.event_id)) AS missing",
        )
        assert (check["audited"], check["distinct_audited"], check["missing"]) == (
            all_events,
            all_events,
            0,
        )

        samples = [await instance.metrics() for instance in counters]
        truth = await fetch(
            consumers_stack.database_url,
            "SELECT status, currency, count(*) AS n, sum(abs(amount)) AS amount FROM transactions"
            " WHERE type = 'PAYMENT' GROUP BY 1, 2",
        )
        assert {row["status"] for row in truth} == {"APPROVED", "DECLINED"}
        for row in truth:
            labels = {"status": row["status"], "currency": row["currency"]}
            assert total(samples, "wallet_payments_total", **labels) == row["n"], labels
            assert total(samples, "wallet_payment_amount_minor_total", **labels) == row["amount"], (
                labels
            )
        assert total(samples, "wallet_payments_total") == PAYMENTS
        for event_type, count in by_type.items():
            expected = count if event_type.startswith(_COUNTED) else 0
            assert total(samples, "wallet_events_consumed_total", event_type=event_type) == expected
        assert total(samples, "wallet_events_consumed_total") == payment_events
