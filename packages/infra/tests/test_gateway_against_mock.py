"""The real HttpxPaymentGateway against the real mock gateway app, in-process (ASGI)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
import stamina
from mock_gateway.app import create_app
from mock_gateway.settings import Settings
from wallet_domain.deadline import Deadline
from wallet_domain.money import Money
from wallet_domain.ports.payment_gateway import ChargeRequest, ChargeStatus, LookupStatus
from wallet_infra.gateway import GatewaySettings, HttpxPaymentGateway

DEADLINE_S = 5.0


@pytest.fixture(autouse=True)
def _no_backoff() -> Iterator[None]:
    with stamina.set_testing(True, attempts=1000, cap=True):
        yield


class Pair:
    """A mock gateway app and an adapter talking to it through ASGITransport."""

    def __init__(self, client: httpx.AsyncClient, settings: GatewaySettings) -> None:
        self.client = client
        self.adapter = HttpxPaymentGateway(client=client, settings=settings)

    async def set_mode(self, mode: str) -> None:
        (await self.client.put("/admin/mode", json={"mode": mode})).raise_for_status()

    async def stats(self) -> dict[str, Any]:
        return dict((await self.client.get("/admin/stats")).json())


@pytest.fixture
async def make_pair() -> AsyncIterator[Callable[..., Pair]]:
    clients: list[httpx.AsyncClient] = []

    def make(hang_s: float = 1.0, **gateway: Any) -> Pair:
        app = create_app(Settings(hang_s=hang_s))
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://mock")
        clients.append(client)
        # ASGITransport ignores httpx timeouts: the adapter's per-attempt cap does the cutting.
        settings = GatewaySettings(
            connect_timeout_s=0.02, attempt_timeout_s=0.08, backoff_jitter_s=0, **gateway
        )
        return Pair(client, settings)

    yield make
    for client in clients:
        await client.aclose()


def charge_request(reference: str = "bill-42") -> ChargeRequest:
    return ChargeRequest(
        payment_id=uuid4(),
        user_id="alice",
        money=Money(1250, "USD"),
        provider_id=UUID("0193a5c0-0000-7000-8000-000000000001"),
        external_reference=reference,
    )


async def test_happy_is_approved_and_charged_once(make_pair: Callable[..., Pair]) -> None:
    pair = make_pair()
    request = charge_request()

    assert await pair.adapter.charge(request, Deadline.after(DEADLINE_S)) is ChargeStatus.APPROVED
    assert await pair.adapter.charge(request, Deadline.after(DEADLINE_S)) is ChargeStatus.APPROVED
    stats = await pair.stats()
    assert stats["charges"] == {str(request.payment_id): 1}
    lookup = await pair.adapter.lookup(request.payment_id, Deadline.after(DEADLINE_S))
    assert lookup is LookupStatus.APPROVED


async def test_declined_is_asked_once(make_pair: Callable[..., Pair]) -> None:
    pair = make_pair()
    await pair.set_mode("declined")
    request = charge_request()

    assert await pair.adapter.charge(request, Deadline.after(DEADLINE_S)) is ChargeStatus.DECLINED
    assert (await pair.stats())["attempts"] == {str(request.payment_id): 1}
    lookup = await pair.adapter.lookup(request.payment_id, Deadline.after(DEADLINE_S))
    assert lookup is LookupStatus.DECLINED


async def test_error_is_retried_then_failed_and_not_charged(make_pair: Callable[..., Pair]) -> None:
    pair = make_pair(max_attempts=3)
    await pair.set_mode("error")
    request = charge_request()

    assert await pair.adapter.charge(request, Deadline.after(DEADLINE_S)) is ChargeStatus.FAILED
    assert await pair.stats() == {"attempts": {str(request.payment_id): 3}, "charges": {}}
    lookup = await pair.adapter.lookup(request.payment_id, Deadline.after(DEADLINE_S))
    assert lookup is LookupStatus.NOT_CHARGED


async def test_charged_timeout_is_unknown_then_lookup_finds_the_charge(
    make_pair: Callable[..., Pair],
) -> None:
    pair = make_pair(max_attempts=1)
    await pair.set_mode("charged_timeout")
    request = charge_request()

    assert await pair.adapter.charge(request, Deadline.after(DEADLINE_S)) is ChargeStatus.UNKNOWN
    lookup = await pair.adapter.lookup(request.payment_id, Deadline.after(DEADLINE_S))
    assert lookup is LookupStatus.APPROVED


async def test_charged_timeout_retry_learns_the_charge(make_pair: Callable[..., Pair]) -> None:
    pair = make_pair(max_attempts=3)
    request = charge_request("mock:charged_timeout:bill-42")

    assert await pair.adapter.charge(request, Deadline.after(DEADLINE_S)) is ChargeStatus.APPROVED
    assert (await pair.stats())["charges"] == {str(request.payment_id): 1}


async def test_timeout_is_unknown_and_lookup_says_not_charged(
    make_pair: Callable[..., Pair],
) -> None:
    pair = make_pair(max_attempts=2)
    request = charge_request("mock:timeout:bill-42")

    assert await pair.adapter.charge(request, Deadline.after(DEADLINE_S)) is ChargeStatus.UNKNOWN
    lookup = await pair.adapter.lookup(request.payment_id, Deadline.after(DEADLINE_S))
    assert lookup is LookupStatus.NOT_CHARGED


async def test_still_unknown_until_the_gateway_releases(make_pair: Callable[..., Pair]) -> None:
    pair = make_pair(max_attempts=1)
    request = charge_request("mock:unknown:bill-42")

    assert await pair.adapter.charge(request, Deadline.after(DEADLINE_S)) is ChargeStatus.UNKNOWN
    lookup = await pair.adapter.lookup(request.payment_id, Deadline.after(DEADLINE_S))
    assert lookup is LookupStatus.UNKNOWN

    await pair.client.post("/admin/release")

    lookup = await pair.adapter.lookup(request.payment_id, Deadline.after(DEADLINE_S))
    assert lookup is LookupStatus.APPROVED
