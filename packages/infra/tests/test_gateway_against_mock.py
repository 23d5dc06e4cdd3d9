"""The real HttpxPaymentGateway against the real mock gateway app, in-process (ASGI)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
import orjson
import pytest
import stamina
from wallet_domain.deadline import Deadline
from wallet_domain.ports.payment_gateway import (
    ChargeRequest,
    ChargeStatus,
    DisputeFiling,
    FilingStatus,
    LookupStatus,
)
from wallet_infra.gateway import replies

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


async def test_a_dispute_is_found_once_filed_and_not_found_before(
    make_pair: Callable[..., Pair],
) -> None:
    pair = make_pair()
    request = charge_request()
    assert await charge(pair, request) is ChargeStatus.APPROVED
    filing = DisputeFiling(
        dispute_id=uuid.uuid4(),
        payment_id=request.payment_id,
        money=request.money,
        reason="not delivered",
        evidence=(),
    )
    deadline = Deadline.after(DEADLINE_S)

    assert await pair.adapter.find_dispute(filing.dispute_id, deadline) is FilingStatus.FAILED
    assert await pair.adapter.file_dispute(filing, deadline) is FilingStatus.FILED
    assert await pair.adapter.find_dispute(filing.dispute_id, deadline) is FilingStatus.FILED


@pytest.mark.parametrize(
    ("status", "body", "found"),
    [
        (404, {"status": "not_found"}, FilingStatus.FAILED),  # the provider's own answer
        (404, {"detail": "Not Found"}, FilingStatus.UNKNOWN),  # a wrong URL, a proxy
        (200, {"dispute_id": "someone-else"}, FilingStatus.UNKNOWN),
        (200, "not json", FilingStatus.UNKNOWN),
    ],
)
def test_only_the_providers_own_not_found_says_it_has_no_such_dispute(
    status: int, body: object, found: FilingStatus
) -> None:
    dispute_id = uuid.uuid4()
    content = body.encode() if isinstance(body, str) else orjson.dumps(body)
    response = httpx.Response(status, content=content)

    assert replies.dispute_found(response, dispute_id) is found
    assert (
        replies.dispute_found(httpx.Response(200, json={"dispute_id": str(dispute_id)}), dispute_id)
        is FilingStatus.FILED
    )
