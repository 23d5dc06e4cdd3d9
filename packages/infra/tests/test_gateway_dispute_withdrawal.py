"""Withdrawing a dispute (the client canceled it): the real adapter against the real mock
gateway app in-process, and against scripted transports for the answers the mock does
not give. Only the provider's own answers count as withdrawn, not filed or decided; a
withdrawal that may have reached it without an answer is UNKNOWN, never FAILED."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import orjson
import pytest
import stamina
from wallet_domain.deadline import Deadline
from wallet_domain.ports.payment_gateway import (
    DisputeFiling,
    WithdrawalStatus,
)
from wallet_infra.gateway import HttpxPaymentGateway, replies

from .gateway_kit import (
    MockClients,
    MockGateway,
    charge_request,
    fast_settings,
    filed_dispute,
    scripted_adapter,
)

DEADLINE_S = 5.0


@pytest.fixture(autouse=True)
def _no_backoff() -> Iterator[None]:
    with stamina.set_testing(True, attempts=1000, cap=True):
        yield


@pytest.fixture
async def mock() -> AsyncIterator[MockGateway]:
    clients = MockClients()
    yield MockGateway(clients.open(hang_s=1.0), fast_settings())
    await clients.aclose()


async def _withdraw(adapter: HttpxPaymentGateway, filing: DisputeFiling) -> WithdrawalStatus:
    async with adapter.admission():
        return await adapter.withdraw_dispute(filing.dispute_id, Deadline.after(DEADLINE_S))


async def test_the_mock_withdraws_a_filed_dispute_once_and_a_repeat_finds_it_withdrawn(
    mock: MockGateway,
) -> None:
    filing = await filed_dispute(mock.adapter)

    assert await _withdraw(mock.adapter, filing) is WithdrawalStatus.WITHDRAWN
    assert await _withdraw(mock.adapter, filing) is WithdrawalStatus.WITHDRAWN
    record = (await mock.client.get(f"/disputes/{filing.dispute_id}")).json()
    assert record["status"] == "canceled"


async def test_the_mock_says_not_filed_for_a_dispute_it_never_got(mock: MockGateway) -> None:
    filing = await filed_dispute(mock.adapter)
    never = DisputeFiling(
        dispute_id=charge_request().payment_id,
        payment_id=filing.payment_id,
        money=filing.money,
        reason=filing.reason,
        evidence=(),
    )

    assert await _withdraw(mock.adapter, never) is WithdrawalStatus.NOT_FILED


@pytest.mark.parametrize("decided", ["submitted", "won", "lost", "closed"])
async def test_the_mock_refuses_to_withdraw_a_dispute_past_review(
    mock: MockGateway, decided: str
) -> None:
    filing = await filed_dispute(mock.adapter)
    moved = await mock.client.post(
        f"/admin/disputes/{filing.dispute_id}/status", json={"status": decided}
    )
    assert moved.status_code == 202, moved.text

    assert await _withdraw(mock.adapter, filing) is WithdrawalStatus.DECIDED
    record = (await mock.client.get(f"/disputes/{filing.dispute_id}")).json()
    assert record["status"] == decided


@pytest.mark.parametrize(
    ("status", "body", "said"),
    [
        (200, {"dispute_id": "ID", "status": "canceled"}, WithdrawalStatus.WITHDRAWN),
        (200, {"dispute_id": "ID", "status": "open"}, WithdrawalStatus.UNKNOWN),
        (200, {"dispute_id": "someone-else", "status": "canceled"}, WithdrawalStatus.UNKNOWN),
        (404, {"status": "not_found"}, WithdrawalStatus.NOT_FILED),
        (404, {"detail": "Not Found"}, WithdrawalStatus.UNKNOWN),  # a wrong URL, a proxy
        (409, {"error": "dispute_decided", "status": "won"}, WithdrawalStatus.DECIDED),
        (409, {"error": "a request with this key is in flight"}, WithdrawalStatus.UNKNOWN),
        (429, {"error": "rate limited"}, WithdrawalStatus.UNKNOWN),
        (200, "not json", WithdrawalStatus.UNKNOWN),
    ],
)
def test_only_the_providers_own_answers_say_withdrawn_not_filed_or_decided(
    status: int, body: object, said: WithdrawalStatus
) -> None:
    dispute_id = charge_request().payment_id
    if isinstance(body, dict) and body.get("dispute_id") == "ID":
        body = {**body, "dispute_id": str(dispute_id)}
    content = body.encode() if isinstance(body, str) else orjson.dumps(body)

    response = httpx.Response(status, content=content)
    assert replies.withdrawal_status(response, dispute_id) is said


@pytest.mark.parametrize(
    ("answer", "status"),
    [
        (httpx.Response(500, json={"error": "internal"}), WithdrawalStatus.FAILED),
        (httpx.ConnectError("refused"), WithdrawalStatus.FAILED),
        (httpx.Response(504, json={"error": "upstream timed out"}), WithdrawalStatus.UNKNOWN),
        (httpx.ReadTimeout("read timed out"), WithdrawalStatus.UNKNOWN),
    ],
    ids=["5xx", "never-connected", "504", "timeout"],
)
async def test_a_withdrawal_without_an_answer_is_retried_then_failed_or_unknown(
    answer: httpx.Response | Exception, status: WithdrawalStatus
) -> None:
    adapter, seen = scripted_adapter(answer)
    filing = DisputeFiling(
        dispute_id=charge_request().payment_id,
        payment_id=charge_request().payment_id,
        money=charge_request().money,
        reason="x",
        evidence=(),
    )

    assert await _withdraw(adapter, filing) is status
    sent = [f"{r.method} {r.url.path}" for r in seen]
    assert sent == [f"POST /disputes/{filing.dispute_id}/cancel"] * 3


async def test_a_withdrawal_with_no_time_left_is_not_sent_and_unknown() -> None:
    adapter, seen = scripted_adapter(httpx.Response(200, json={}))
    async with adapter.admission():
        status = await adapter.withdraw_dispute(charge_request().payment_id, Deadline.after(0.0))

    assert (status, seen) == (WithdrawalStatus.UNKNOWN, [])
