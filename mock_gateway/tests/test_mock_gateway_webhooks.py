"""The mock provider's webhooks: signed per Standard Webhooks, retried until a 2xx."""

from __future__ import annotations

import asyncio

import httpx
import orjson
import pytest
from mock_gateway.app import GatewayApp, create_app
from mock_gateway.settings import DEV_WEBHOOK_SECRET, Settings
from mock_gateway.webhook_sender import WebhookBacklogFull, WebhookSender
from standardwebhooks.webhooks import Webhook

from .conftest import client_for

URL = "http://wallet.test/webhooks/gateway"


class Receiver:
    """An in-process endpoint answering each delivery with the next scripted status."""

    def __init__(self, *statuses: int) -> None:
        self.statuses = list(statuses)
        self.requests: list[httpx.Request] = []
        self.got_one = asyncio.Event()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        status = self.statuses.pop(0) if self.statuses else 200
        if 200 <= status < 300:
            self.got_one.set()
        return httpx.Response(status)


def _sender(receiver: Receiver, **kwargs: object) -> WebhookSender:
    return WebhookSender(
        URL,
        DEV_WEBHOOK_SECRET,
        base_delay_s=0.001,
        transport=httpx.MockTransport(receiver),
        **kwargs,  # type: ignore[arg-type]
    )


async def test_a_webhook_is_signed_so_the_secret_verifies_it() -> None:
    receiver = Receiver()
    sender = _sender(receiver)
    delivery = sender.emit("payment.settled", {"payment_id": "p-1", "status": "approved"})
    await asyncio.wait_for(receiver.got_one.wait(), 5)
    await sender.close()
    request = receiver.requests[0]
    body = Webhook(DEV_WEBHOOK_SECRET).verify(request.content, dict(request.headers))
    assert request.headers["webhook-id"] == body["provider_event_id"] == delivery.provider_event_id
    assert body["type"] == "payment.settled"
    assert body["data"] == {"payment_id": "p-1", "status": "approved"}


async def test_a_webhook_is_retried_until_a_2xx() -> None:
    receiver = Receiver(500, 401, 503, 200)
    sender = _sender(receiver)
    delivery = sender.emit("payment.refunded", {"payment_id": "p-1", "amount": 5})
    await asyncio.wait_for(receiver.got_one.wait(), 5)
    await sender.close()
    assert delivery.attempts == 4
    assert delivery.delivered
    assert {r.headers["webhook-id"] for r in receiver.requests} == {delivery.provider_event_id}
    assert sender.stats()["failed_attempts"] == 3


async def test_an_event_can_be_sent_again_under_its_id() -> None:
    receiver = Receiver()
    sender = _sender(receiver)
    first = sender.emit("payment.settled", {"payment_id": "p-1", "status": "approved"})
    await asyncio.wait_for(receiver.got_one.wait(), 5)
    receiver.got_one.clear()
    sender.emit("payment.settled", {}, provider_event_id=first.provider_event_id)
    await asyncio.wait_for(receiver.got_one.wait(), 5)
    await sender.close()
    ids = [orjson.loads(r.content)["provider_event_id"] for r in receiver.requests]
    assert ids == [first.provider_event_id, first.provider_event_id]


async def test_undelivered_webhooks_are_bounded() -> None:
    sender = _sender(Receiver(*[500] * 100), max_pending=2)
    sender.emit("a", {})
    sender.emit("b", {})
    with pytest.raises(WebhookBacklogFull):
        sender.emit("c", {})
    await sender.close()


async def test_the_admin_endpoint_emits_and_reports_a_webhook() -> None:
    app = create_app(Settings(hang_s=0.05, latency_ms=0))
    async with client_for(app) as client:
        sent = await client.post(
            "/admin/webhooks", json={"type": "payment.settled", "data": {"payment_id": "p"}}
        )
        assert sent.status_code == 202
        event_id = sent.json()["provider_event_id"]
        seen = await client.get(f"/admin/webhooks/{event_id}")
        assert seen.json()["type"] == "payment.settled"
        stats = await client.get("/admin/webhooks")
        # no MOCK_WEBHOOK_URL configured: recorded, not sent
        assert stats.json()["emitted"] == 1
        assert stats.json()["pending"] == 0


async def test_a_network_error_is_retried_like_a_refusal() -> None:
    calls: list[int] = []
    answered = asyncio.Event()

    def flaky(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        if len(calls) == 1:
            raise httpx.ConnectError("refused", request=request)
        answered.set()
        return httpx.Response(204)

    sender = WebhookSender(
        URL, DEV_WEBHOOK_SECRET, base_delay_s=0.001, transport=httpx.MockTransport(flaky)
    )
    delivery = sender.emit("payment.settled", {"payment_id": "p-1", "status": "approved"})
    await asyncio.wait_for(answered.wait(), 5)
    await sender.close()
    assert len(calls) == 2  # the refused connection was tried again
    assert delivery.statuses[0] is None


async def test_admin_endpoints_answer_503_while_the_backlog_is_full_and_404_for_unknowns() -> None:
    app = create_app(Settings(hang_s=0.05, latency_ms=0))
    assert isinstance(app, GatewayApp)
    async with client_for(app) as client:
        charge = {"amount": 500, "currency": "USD"}
        assert (await client.put("/admin/charges/p-1", json=charge)).status_code == 200
        filed = {
            "dispute_id": "d-1",
            "payment_id": "p-1",
            "amount": 500,
            "currency": "USD",
            "reason": "never arrived",
        }
        headers = {"Idempotency-Key": "d-1"}
        assert (await client.post("/disputes", json=filed, headers=headers)).is_success
        assert (await client.get("/admin/webhooks/evt_nobody")).status_code == 404
        unknown = await client.post("/admin/charges/p-nobody/refunds", json={})
        assert unknown.status_code == 404

        app.gateway.webhooks = WebhookSender("", DEV_WEBHOOK_SECRET, max_pending=0)
        full = [
            await client.post("/admin/webhooks", json={"type": "payment.settled"}),
            await client.post("/admin/charges/p-1/refunds", json={"amount": 10}),
            await client.post("/admin/disputes/d-1/status", json={"status": "under_review"}),
        ]
    assert [reply.status_code for reply in full] == [503, 503, 503]
