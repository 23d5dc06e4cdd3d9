"""Events the mock sends on its own: the late `payment.settled` of `unknown` mode, and
`payment.refunded` for a refund recorded through the admin endpoint."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

import httpx
import orjson
import pytest
from fastapi import FastAPI
from mock_gateway.app import GatewayApp, create_app
from mock_gateway.modes import Mode
from mock_gateway.settings import Settings

from .conftest import HANG_S, Charge, client_for
from .test_mock_gateway_webhooks import URL, Receiver

SETTLE_DELAY_S = 0.2


def _app(receiver: Receiver, **settings: object) -> FastAPI:
    app = create_app(Settings(hang_s=HANG_S, latency_ms=0, **settings))  # type: ignore[arg-type]
    assert isinstance(app, GatewayApp)
    app.gateway.send_webhooks_to(URL, transport=httpx.MockTransport(receiver))
    return app


def _bodies(receiver: Receiver) -> list[dict[str, object]]:
    return [orjson.loads(request.content) for request in receiver.requests]


async def test_unknown_mode_sends_the_held_back_settlement_after_the_delay(charge: Charge) -> None:
    receiver = Receiver()
    app = _app(receiver, mode=Mode.UNKNOWN, webhook_settle_delay_s=SETTLE_DELAY_S)
    async with client_for(app) as client:
        started = time.monotonic()
        assert (await charge(client, "p1")).status_code == 504
        assert receiver.requests == []  # held back for now
        await asyncio.wait_for(receiver.got_one.wait(), 5)
        elapsed = time.monotonic() - started

    assert elapsed >= SETTLE_DELAY_S
    [sent] = _bodies(receiver)
    assert sent["type"] == "payment.settled"
    assert sent["data"] == {"payment_id": "p1", "status": "approved"}


async def test_a_retried_charge_in_unknown_mode_sends_one_settlement(charge: Charge) -> None:
    receiver = Receiver()
    app = _app(receiver, mode=Mode.UNKNOWN, webhook_settle_delay_s=0)
    async with client_for(app) as client:
        await charge(client, "p1")
        await charge(client, "p1")
        await asyncio.wait_for(receiver.got_one.wait(), 5)
        stats = (await client.get("/admin/webhooks")).json()

    assert stats["emitted"] == 1


async def _charged(client: httpx.AsyncClient, payment_id: str, amount: int = 1000) -> None:
    put = await client.put(
        f"/admin/charges/{payment_id}", json={"amount": amount, "currency": "USD"}
    )
    assert put.status_code == 200


async def test_partial_refunds_then_the_rest_are_recorded_and_announced() -> None:
    receiver = Receiver()
    async with client_for(_app(receiver)) as client:
        await _charged(client, "p1")
        first = await client.post("/admin/charges/p1/refunds", json={"amount": 300})
        rest = await client.post("/admin/charges/p1/refunds", json={})
        more = await client.post("/admin/charges/p1/refunds", json={"amount": 1})
        now = datetime.now(UTC)
        listing = await client.get(
            "/payments",
            params={
                "since": (now - timedelta(minutes=1)).isoformat(),
                "until": (now + timedelta(minutes=1)).isoformat(),
            },
        )
        while len(receiver.requests) < 2:
            receiver.got_one.clear()
            await asyncio.wait_for(receiver.got_one.wait(), 5)

    assert first.status_code == 202
    assert first.json()["refunded_amount"] == 300
    assert rest.json()["refunded_amount"] == 1000
    assert more.status_code == 409
    [charge] = listing.json()["items"]
    assert charge["refunded_amount"] == 1000
    sent = sorted(_bodies(receiver), key=lambda b: int(b["data"]["amount"]))  # type: ignore[index]
    assert [(b["type"], b["data"]) for b in sent] == [
        ("payment.refunded", {"payment_id": "p1", "amount": 300}),
        ("payment.refunded", {"payment_id": "p1", "amount": 700}),
    ]
    assert first.json()["webhook"]["provider_event_id"] == sent[0]["provider_event_id"]


@pytest.mark.parametrize(
    ("amount", "status"),
    [(1001, 409), (0, 422), (None, 404)],
    ids=["over-the-charge", "zero", "unknown-payment"],
)
async def test_a_refund_that_cannot_be_made_records_and_sends_nothing(
    amount: int | None, status: int
) -> None:
    receiver = Receiver()
    async with client_for(_app(receiver)) as client:
        await _charged(client, "p1")
        target = "p1" if status != 404 else "nope"
        refused = await client.post(
            f"/admin/charges/{target}/refunds", json={} if amount is None else {"amount": amount}
        )
        stats = (await client.get("/admin/webhooks")).json()

    assert refused.status_code == status
    assert stats.get("emitted", 0) == 0


async def test_a_declined_payment_cannot_be_refunded(charge: Charge) -> None:
    receiver = Receiver()
    async with client_for(_app(receiver, mode=Mode.DECLINED)) as client:
        await charge(client, "p1")
        refused = await client.post("/admin/charges/p1/refunds", json={})

    assert refused.status_code == 409
