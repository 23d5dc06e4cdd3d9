"""End to end: payments through the API reach the broker as event envelopes via
the relay, and both consumers, as separate processes, store and count them."""

from __future__ import annotations

from typing import Final
from uuid import UUID

import orjson
import pytest
from wallet_testkit.amqp import ENVELOPE_FIELDS
from wallet_testkit.db import fetch
from wallet_testkit.metrics import total

from .consumers_harness import EventTap, Stack, eventually, healthy_consumers, running_api

pytestmark = pytest.mark.integration

TIMEOUT_S: Final = 30.0


async def test_payments_flow_from_the_api_to_the_audit_log_and_the_metrics(
    consumers_stack: Stack,
) -> None:
    async with healthy_consumers(consumers_stack) as consumers:
        [metrics] = consumers.counters
        async with EventTap(consumers_stack.amqp_url) as tap:
            consumers.start_relays()
            async with running_api(consumers_stack) as api:
                user_id = await api.wallet_with({"USD": 10_000})
                approved = await api.pay(user_id, 1_250, "bill-1", currency="USD")
                declined = await api.pay(user_id, 700, "mock:declined:bill-2", currency="USD")
            assert approved.status_code == 201, approved.text
            assert declined.status_code == 402, declined.text
            approved_id = UUID(approved.json()["id"])
            declined_id = UUID(declined.json()["error"]["details"]["payment_id"])

            async def published() -> bool:
                return len(tap.messages) >= 6

            await eventually(published, timeout_s=TIMEOUT_S)

        by_aggregate: dict[UUID, list[str]] = {}
        envelopes = []
        for message in tap.messages:
            envelope = orjson.loads(message.body)
            envelopes.append(envelope)
            assert set(envelope) == ENVELOPE_FIELDS
            assert message.message_id == envelope["event_id"]
            assert UUID(envelope["event_id"]).version == 7
            assert message.routing_key == envelope["event_type"]
            assert message.content_type == "application/json"
            assert message.delivery_mode == 2  # persistent
            assert envelope["user_id"] == user_id
            assert envelope["schema_version"] == 1
            by_aggregate.setdefault(UUID(envelope["aggregate_id"]), []).append(
                envelope["event_type"]
            )
        assert by_aggregate[approved_id] == ["payment.created", "payment.completed"]
        # The refund and the failure commit together (refund first); both follow the creation.
        assert by_aggregate[declined_id] == ["payment.created", "refund.created", "payment.failed"]
        [deposit] = [e for e in envelopes if e["event_type"] == "deposit.completed"]
        assert deposit["payload"]["amount"] == 10_000
        completed = next(e for e in envelopes if e["event_type"] == "payment.completed")
        assert completed["payload"] | {"transaction_id": None} == {
            "transaction_id": None,
            "type": "PAYMENT",
            "status": "APPROVED",
            "amount": 1_250,
            "currency": "USD",
            "provider_id": "01890a5d-ac96-774b-bcce-b302099a8057",
            "external_reference": "bill-1",
        }
        failed = next(e for e in envelopes if e["event_type"] == "payment.failed")
        assert failed["payload"]["status"] == "DECLINED"

        async def audited() -> bool:
            rows = await fetch(consumers_stack.database_url, "SELECT count(*) AS n FROM audit_log")
            return bool(rows[0]["n"] >= len(envelopes))

        await eventually(audited, timeout_s=TIMEOUT_S)
        rows = await fetch(consumers_stack.database_url, "SELECT * FROM audit_log ORDER BY id")
        assert {str(row["event_id"]) for row in rows} == {e["event_id"] for e in envelopes}
        for row in rows:
            envelope = next(e for e in envelopes if e["event_id"] == str(row["event_id"]))
            assert row["event_type"] == envelope["event_type"]
            assert str(row["aggregate_id"]) == envelope["aggregate_id"]
            assert row["user_id"] == user_id
            assert row["occurred_at"].isoformat() == envelope["occurred_at"]
            assert orjson.loads(row["payload"]) == envelope["payload"]

        async def counted() -> bool:
            samples = [await metrics.metrics()]
            return total(samples, "wallet_events_consumed_total") >= 5

        await eventually(counted, timeout_s=TIMEOUT_S)
        samples = [await metrics.metrics()]

        def metric(name: str, **labels: str) -> float:
            return total(samples, name, **labels)

        assert metric("wallet_payments_total", status="APPROVED", currency="USD") == 1
        assert metric("wallet_payments_total", status="DECLINED", currency="USD") == 1
        assert metric("wallet_payment_amount_minor_total", status="APPROVED") == 1_250
        assert metric("wallet_payment_amount_minor_total", status="DECLINED") == 700
        assert metric("wallet_events_consumed_total", event_type="payment.created") == 2
        assert metric("wallet_events_consumed_total", event_type="payment.completed") == 1
        assert metric("wallet_events_consumed_total", event_type="payment.failed") == 1
        assert metric("wallet_events_consumed_total", event_type="deposit.completed") == 1
        assert metric("wallet_deposits_total", status="COMPLETED", currency="USD") == 1
        assert metric("wallet_events_consumed_total") == 5  # refunds: not on metrics.queue
    consumers.assert_stopped_gracefully()
