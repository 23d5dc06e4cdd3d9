"""Provider webhooks keep the ledger whole: payments left PENDING by the gateway settle
through its late `payment.settled`, approved ones are refunded by the provider in parts
(some refunds asked for more than is left), every event is delivered twice more at once,
and the mock's own webhooks race the API's requests. Then every money invariant holds, the
outbox matches the ledger, and each payment's provider refunds add up to its
`refunded_amount`, never past its amount."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import httpx
from mock_gateway.webhook_sender import Delivery, WebhookSender

from mock_gateway import Settings as MockGatewaySettings
from mock_gateway import create_app as create_mock_gateway

from .money_safety_kit import (
    PROVIDER_ID,
    assert_money_invariants,
    eventually,
    fetch,
    in_process_api,
    private_database,
)
from .money_safety_outbox import assert_outbox_matches_ledger
from .test_money_safety_randomized import (
    SETTINGS as RANDOMIZED_SETTINGS,
)  # fast gateway, no recovery

WALLETS: Final = 3
PAYMENTS_PER_WALLET: Final = 8
SETTINGS: Final[dict[str, Any]] = {
    **RANDOMIZED_SETTINGS,
    "gateway_breaker_failure_threshold": 1_000_000,  # held outcomes are not an outage here
}


async def _pay(client: httpx.AsyncClient, user_id: str, mode: str, n: int) -> str:
    reply = await client.post(
        f"/wallets/{user_id}/payments",
        json={
            "provider_id": PROVIDER_ID,
            "external_reference": f"mock:{mode}:{n}",
            "amount": 100 + n,
            "currency": "USD",
        },
        headers={"Idempotency-Key": f"{user_id}-{n}"},
    )
    assert reply.status_code in {201, 402, 504}, reply.content
    body = reply.json()
    payment_id: str = body.get("id") or body["error"]["details"]["payment_id"]
    return payment_id


async def _redeliver(api: httpx.AsyncClient, sender: WebhookSender, delivery: Delivery) -> None:
    """The provider delivering an event again (a retry after a lost reply), signed anew."""
    reply = await api.post(
        "/webhooks/gateway", content=delivery.body, headers=sender.signed_headers(delivery)
    )
    assert reply.status_code == 200, reply.content


async def test_late_settlements_and_provider_refunds_keep_the_ledger_whole(
    database_url: str,
) -> None:
    rng = random.Random(20261206)
    mock = create_mock_gateway(MockGatewaySettings(hang_s=0.2, webhook_settle_delay_s=0.3))
    async with (
        private_database(database_url) as dsn,
        in_process_api(dsn, mock, **SETTINGS) as (app, client),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=mock), base_url="http://gateway"
        ) as gateway,
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api") as api,
    ):
        sender = mock.gateway.send_webhooks_to(
            "http://api/webhooks/gateway", transport=httpx.ASGITransport(app=app)
        )
        users = [f"pe-{n}" for n in range(WALLETS)]
        payments: list[str] = []
        for user_id in users:
            assert (await client.post("/wallets", json={"user_id": user_id})).status_code == 201
            deposit = await client.post(
                f"/wallets/{user_id}/deposits",
                json={"amount": 10_000, "currency": "USD"},
                headers={"Idempotency-Key": f"{user_id}-seed"},
            )
            assert deposit.status_code == 201
            modes = rng.choices(["happy", "unknown", "declined"], k=PAYMENTS_PER_WALLET)
            payments += await asyncio.gather(
                *(_pay(client, user_id, mode, n) for n, mode in enumerate(modes))
            )

        async def settled() -> bool:
            return not await fetch(
                dsn, "SELECT 1 FROM transactions WHERE status = 'PENDING' LIMIT 1"
            )

        await eventually(settled, timeout_s=30)
        for payment_id in payments:
            for _ in range(rng.randint(0, 3)):
                amount = rng.choice([None, 1, 50, 200])
                await gateway.post(
                    f"/admin/charges/{payment_id}/refunds",
                    json={} if amount is None else {"amount": amount},
                )

        # A provider that claims more than the charge: the wallet refuses, changes nothing.
        for payment_id in rng.sample(payments, k=5):
            over = {"payment_id": payment_id, "amount": 10_000}
            await gateway.post("/admin/webhooks", json={"type": "payment.refunded", "data": over})

        async def delivered() -> bool:
            return sender.pending == 0

        await eventually(delivered, timeout_s=30)
        for delivery in rng.sample(list(sender.deliveries.values()), k=10):
            await asyncio.gather(*(_redeliver(api, sender, delivery) for _ in range(2)))
        await sender.close()

        charges = (await gateway.get("/admin/stats")).json()["charges"]
        by_status = await assert_money_invariants(dsn, users, charges)
        await assert_outbox_matches_ledger(dsn, users)
        now = datetime.now(UTC)
        window = {"since": (now - timedelta(hours=1)).isoformat(), "until": now.isoformat()}
        listing = (await gateway.get("/payments", params=window)).json()["items"]
        refunded_here = await fetch(
            dsn,
            "SELECT id::text AS id, refunded_amount FROM transactions"
            " WHERE type = 'PAYMENT' AND status = 'APPROVED'",
        )

    assert by_status.get("APPROVED", 0) > 0
    # What the provider refunded of each charge is exactly what the wallet gave back.
    there = {c["payment_id"]: c["refunded_amount"] for c in listing}
    here = {row["id"]: row["refunded_amount"] for row in refunded_here}
    assert here == {payment_id: there[payment_id] for payment_id in here}
    assert sum(here.values()) > 0
