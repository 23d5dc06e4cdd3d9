"""End to end: a transfer made through the API reaches the broker as `transfer.completed`
via the relay; the audit consumer stores it and the metrics consumer counts it."""

from __future__ import annotations

from typing import Any, Final

import orjson
import pytest
from wallet_testkit.db import fetch
from wallet_testkit.metrics import total

from .consumers_harness import Stack, eventually, healthy_consumers, running_api

pytestmark = pytest.mark.integration

TIMEOUT_S: Final = 30.0


async def test_a_transfer_is_audited_and_counted_by_currency(consumers_stack: Stack) -> None:
    async with healthy_consumers(consumers_stack) as consumers:
        [metrics] = consumers.counters
        consumers.start_relays()
        async with running_api(consumers_stack) as api:
            sender = await api.wallet_with({"EUR": 1_000})
            receiver = await api.create_wallet()
            response = await api.client.post(
                "/transfers",
                json={
                    "from_user_id": sender,
                    "to_user_id": receiver,
                    "amount": 400,
                    "currency": "EUR",
                },
                headers={"Idempotency-Key": "transfer-1"},
            )
        assert response.status_code == 201, response.text
        transfer_id = response.json()["id"]

        async def audited() -> list[Any]:
            return await fetch(
                consumers_stack.database_url,
                "SELECT * FROM audit_log WHERE event_type = 'transfer.completed'",
            )

        async def stored() -> bool:
            return bool(await audited())

        await eventually(stored, timeout_s=TIMEOUT_S)
        [row] = await audited()
        assert (str(row["aggregate_id"]), row["user_id"]) == (transfer_id, sender)
        payload = orjson.loads(row["payload"])
        assert payload["transfer_id"] == transfer_id
        assert (payload["from_user_id"], payload["to_user_id"]) == (sender, receiver)
        assert (payload["amount"], payload["currency"], payload["status"]) == (
            400,
            "EUR",
            "COMPLETED",
        )

        async def counted() -> bool:
            samples = [await metrics.metrics()]
            return total(samples, "wallet_transfers_total", currency="EUR") >= 1

        await eventually(counted, timeout_s=TIMEOUT_S)
        samples = [await metrics.metrics()]
        assert total(samples, "wallet_transfers_total", currency="EUR") == 1
        assert total(samples, "wallet_transfer_amount_minor_total", currency="EUR") == 400
        assert total(samples, "wallet_events_consumed_total", event_type="transfer.completed") == 1
    consumers.assert_stopped_gracefully()
