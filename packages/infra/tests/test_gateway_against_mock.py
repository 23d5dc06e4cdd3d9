"""The real HttpxPaymentGateway against the real mock gateway app, in-process (ASGI)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest
import stamina
from wallet_domain.deadline import Deadline
from wallet_domain.ports.payment_gateway import ChargeRequest, ChargeStatus, LookupStatus

from .gateway_kit import MockClients, MockGateway, charge_request, fast_settings

DEADLINE_S = 5.0


@pytest.fixture(autouse=True)
def _no_backoff() -> Iterator[None]:
    with stamina.set_testing(True, attempts=1000, cap=True):
        yield


Pair = MockGateway


@pytest.fixture
async def make_pair() -> AsyncIterator[Callable[..., Pair]]:
    clients = MockClients()

    def make(hang_s: float = 1.0, **gateway: Any) -> Pair:
        return Pair(clients.open(hang_s), fast_settings(**gateway))

    yield make
    await clients.aclose()


async def charge(pair: Pair, request: ChargeRequest) -> ChargeStatus:
    return await pair.adapter.charge(request, Deadline.after(DEADLINE_S))


async def lookup(pair: Pair, request: ChargeRequest) -> LookupStatus:
    return await pair.adapter.lookup(request.payment_id, Deadline.after(DEADLINE_S))


async def test_happy_is_approved_and_charged_once(make_pair: Callable[..., Pair]) -> None:
    pair = make_pair()
    request = charge_request()

    assert await charge(pair, request) is ChargeStatus.APPROVED
    assert await charge(pair, request) is ChargeStatus.APPROVED
    stats = await pair.stats()
    assert stats["charges"] == {str(request.payment_id): 1}
    assert await lookup(pair, request) is LookupStatus.APPROVED


async def test_declined_is_asked_once(make_pair: Callable[..., Pair]) -> None:
    pair = make_pair()
    await pair.set_mode("declined")
    request = charge_request()

    assert await charge(pair, request) is ChargeStatus.DECLINED
    assert (await pair.stats())["attempts"] == {str(request.payment_id): 1}
    assert await lookup(pair, request) is LookupStatus.DECLINED


async def test_error_is_retried_then_failed_and_not_charged(make_pair: Callable[..., Pair]) -> None:
    pair = make_pair(max_attempts=3)
    await pair.set_mode("error")
    request = charge_request()

    assert await charge(pair, request) is ChargeStatus.FAILED
    assert await pair.stats() == {"attempts": {str(request.payment_id): 3}, "charges": {}}
    assert await lookup(pair, request) is LookupStatus.NOT_CHARGED


async def test_charged_timeout_is_unknown_then_lookup_finds_the_charge(
    make_pair: Callable[..., Pair],
) -> None:
    pair = make_pair(max_attempts=1)
    await pair.set_mode("charged_timeout")
    request = charge_request()

    assert await charge(pair, request) is ChargeStatus.UNKNOWN
    assert await lookup(pair, request) is LookupStatus.APPROVED


async def test_charged_timeout_retry_learns_the_charge(make_pair: Callable[..., Pair]) -> None:
    pair = make_pair(max_attempts=3)
    request = charge_request("mock:charged_timeout:bill-42")

    assert await charge(pair, request) is ChargeStatus.APPROVED
    assert (await pair.stats())["charges"] == {str(request.payment_id): 1}


async def test_timeout_is_unknown_and_lookup_says_not_charged(
    make_pair: Callable[..., Pair],
) -> None:
    pair = make_pair(max_attempts=2)
    request = charge_request("mock:timeout:bill-42")

    assert await charge(pair, request) is ChargeStatus.UNKNOWN
    assert await lookup(pair, request) is LookupStatus.NOT_CHARGED


async def test_still_pending_until_the_gateway_releases(make_pair: Callable[..., Pair]) -> None:
    pair = make_pair(max_attempts=1)
    request = charge_request("mock:unknown:bill-42")

    assert await charge(pair, request) is ChargeStatus.UNKNOWN
    assert await lookup(pair, request) is LookupStatus.PENDING  # the provider's "not yet"

    await pair.client.post("/admin/release")

    assert await lookup(pair, request) is LookupStatus.APPROVED
