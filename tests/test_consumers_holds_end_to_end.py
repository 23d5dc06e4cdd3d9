"""End to end: holds and two-phase deposits through the API reach the audit log exactly
once per state change (relay and consumers as separate processes), and the metrics
consumer counts holds by the state they reached."""

from __future__ import annotations

from typing import Any, Final

import pytest
from wallet_testkit.api import Api, new_key
from wallet_testkit.db import fetch
from wallet_testkit.metrics import total

from .consumers_harness import Stack, eventually, healthy_consumers, running_api

pytestmark = pytest.mark.integration

TIMEOUT_S: Final = 30.0


async def _post(api: Api, path: str, body: dict[str, Any] | None = None, key: bool = False) -> Any:
    headers = {"Idempotency-Key": new_key()} if key else {}
    response = await api.client.post(path, json=body, headers=headers)
    assert response.status_code in (200, 201), response.text
    return response.json()


async def test_every_hold_and_deposit_state_change_is_audited_once(consumers_stack: Stack) -> None:
    async with healthy_consumers(consumers_stack) as consumers:
        [metrics] = consumers.counters
        consumers.start_relays()
        async with running_api(consumers_stack) as api:
            user_id = await api.wallet_with({"USD": 10_000})
            base = f"/wallets/{user_id}"
            hold = {"currency": "USD"}
            captured = await _post(api, f"{base}/holds", {**hold, "amount": 300}, key=True)
            reverted = await _post(api, f"{base}/holds", {**hold, "amount": 200}, key=True)
            expiring = await _post(
                api, f"{base}/holds", {**hold, "amount": 100, "expires_in_s": 1}, key=True
            )
            await _post(api, f"{base}/holds/{captured['id']}/complete", {"amount": 120})
            await _post(api, f"{base}/holds/{captured['id']}/complete", {"amount": 120})  # repeat
            await _post(api, f"{base}/holds/{reverted['id']}/revert")
            deposit = {"amount": 500, "currency": "USD", "two_phase": True}
            landed = await _post(api, f"{base}/deposits", deposit, key=True)
            dropped = await _post(api, f"{base}/deposits", deposit, key=True)
            await _post(api, f"{base}/deposits/{landed['id']}/complete")
            await _post(api, f"{base}/deposits/{dropped['id']}/revert")

            async def expired() -> bool:  # the API's own expiry worker
                got = await api.client.get(f"{base}/holds/{expiring['id']}")
                return bool(got.json()["status"] == "EXPIRED")

            await eventually(expired, timeout_s=TIMEOUT_S)

        expected = {
            captured["id"]: ["hold.created", "hold.completed"],
            reverted["id"]: ["hold.created", "hold.reverted"],
            expiring["id"]: ["hold.created", "hold.expired"],
            landed["id"]: ["deposit.pending", "deposit.completed"],
            dropped["id"]: ["deposit.pending", "deposit.reverted"],
        }

        async def audited() -> bool:
            rows = await fetch(
                consumers_stack.database_url,
                "SELECT count(*) AS n FROM audit_log WHERE aggregate_id = ANY($1::uuid[])",
                list(expected),
            )
            return bool(rows[0]["n"] >= 10)

        await eventually(audited, timeout_s=TIMEOUT_S)
        rows = await fetch(
            consumers_stack.database_url,
            "SELECT aggregate_id::text AS id, event_type FROM audit_log"
            " WHERE aggregate_id = ANY($1::uuid[]) ORDER BY occurred_at, event_id",
            list(expected),
        )
        seen: dict[str, list[str]] = {}
        for row in rows:
            seen.setdefault(row["id"], []).append(row["event_type"])
        assert seen == expected

        async def counted() -> bool:
            return total([await metrics.metrics()], "wallet_holds_total") >= 6

        await eventually(counted, timeout_s=TIMEOUT_S)
        samples = [await metrics.metrics()]
        for status, count, amount in (
            ("PENDING", 3, 600),
            ("COMPLETED", 1, 120),
            ("REVERTED", 1, 200),
            ("EXPIRED", 1, 100),
        ):
            assert total(samples, "wallet_holds_total", status=status, currency="USD") == count
            assert total(samples, "wallet_hold_amount_minor_total", status=status) == amount
    consumers.assert_stopped_gracefully()
