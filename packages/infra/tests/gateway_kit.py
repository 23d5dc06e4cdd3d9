"""Helpers for the gateway adapter tests against the real mock gateway app, in-process:
the app behind `httpx.ASGITransport`, the adapter talking to it, a charge request."""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid4

import httpx
from mock_gateway.app import create_app
from mock_gateway.settings import Settings
from wallet_domain.deadline import Deadline
from wallet_domain.money import Money
from wallet_domain.ports.payment_gateway import (
    ChargeRequest,
    ChargeStatus,
    DisputeFiling,
    FilingStatus,
)
from wallet_infra.gateway import GatewaySettings, HttpxPaymentGateway


def charge_request(reference: str = "bill-42") -> ChargeRequest:
    return ChargeRequest(
        payment_id=uuid4(),
        user_id="alice",
        money=Money(1250, "USD"),
        provider_id=UUID("0193a5c0-0000-7000-8000-000000000001"),
        external_reference=reference,
    )


def fast_settings(**gateway: Any) -> GatewaySettings:
    """Short attempt timeouts, no jitter. ASGITransport ignores httpx timeouts: the
    adapter's per-attempt cap does the cutting."""
    return GatewaySettings(
        connect_timeout_s=0.02, attempt_timeout_s=0.08, backoff_jitter_s=0, **gateway
    )


class MockGateway:
    """A mock gateway app and the adapter talking to it through ASGITransport."""

    def __init__(self, client: httpx.AsyncClient, settings: GatewaySettings) -> None:
        self.client = client
        self.adapter = HttpxPaymentGateway(client=client, settings=settings)

    async def set_mode(self, mode: str) -> None:
        (await self.client.put("/admin/mode", json={"mode": mode})).raise_for_status()

    async def stats(self) -> dict[str, Any]:
        return dict((await self.client.get("/admin/stats")).json())


class MockClients:
    """Clients of fresh in-process mock gateway apps; `aclose()` closes them all."""

    def __init__(self) -> None:
        self._clients: list[httpx.AsyncClient] = []

    def open(self, hang_s: float) -> httpx.AsyncClient:
        app = create_app(Settings(hang_s=hang_s))
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://mock")
        self._clients.append(client)
        return client

    async def aclose(self) -> None:
        for client in self._clients:
            await client.aclose()


def scripted_adapter(
    answer: httpx.Response | Exception, *, max_attempts: int = 3
) -> tuple[HttpxPaymentGateway, list[httpx.Request]]:
    """The adapter against a provider that answers every attempt with `answer` (or raises
    it), and the requests it got."""
    seen: list[httpx.Request] = []

    async def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if isinstance(answer, Exception):
            raise answer
        return answer

    client = httpx.AsyncClient(transport=httpx.MockTransport(handle), base_url="http://gw.test")
    settings = GatewaySettings(backoff_jitter_s=0, max_attempts=max_attempts)
    return HttpxPaymentGateway(client=client, settings=settings), seen


async def filed_dispute(
    adapter: HttpxPaymentGateway, evidence: tuple[str, ...] = ()
) -> DisputeFiling:
    """A fresh charge made through `adapter`, then disputed and filed (the mock's answers)."""
    request = charge_request()
    deadline = Deadline.after(5.0)
    assert await adapter.charge(request, deadline) is ChargeStatus.APPROVED
    filing = DisputeFiling(
        dispute_id=request.payment_id,
        payment_id=request.payment_id,
        money=request.money,
        reason="not delivered",
        evidence=evidence,
    )
    assert await adapter.file_dispute(filing, deadline) is FilingStatus.FILED
    return filing
