"""Sending a dispute's evidence to the provider: the real adapter against the real mock
gateway app in-process, and against scripted transports for the answers the mock does not
give. The provider adds the texts it lacks (a repeat adds nothing); only its own answers
say held or refused, and anything else is sent again later."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import orjson
import pytest
import stamina
from wallet_domain.deadline import Deadline
from wallet_domain.ports.payment_gateway import (
    DisputeFiling,
    EvidenceStatus,
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


async def _forward(
    adapter: HttpxPaymentGateway, filing: DisputeFiling, evidence: tuple[str, ...]
) -> EvidenceStatus:
    async with adapter.admission():
        return await adapter.forward_evidence(
            filing.dispute_id, evidence, Deadline.after(DEADLINE_S)
        )


async def _held_by_mock(mock: MockGateway, filing: DisputeFiling) -> list[str]:
    record = (await mock.client.get(f"/disputes/{filing.dispute_id}")).json()
    evidence: list[str] = record["evidence"]
    return evidence


async def test_the_mock_adds_the_texts_it_lacks_and_a_repeat_adds_nothing(
    mock: MockGateway,
) -> None:
    filing = await filed_dispute(mock.adapter, ("receipt",))
    everything = ("receipt", "photo", "letter")

    assert await _forward(mock.adapter, filing, everything) is EvidenceStatus.HELD
    assert await _forward(mock.adapter, filing, everything) is EvidenceStatus.HELD
    assert await _forward(mock.adapter, filing, everything[:2]) is EvidenceStatus.HELD  # late

    assert await _held_by_mock(mock, filing) == list(everything)


async def test_the_mock_refuses_evidence_for_a_dispute_it_never_got(mock: MockGateway) -> None:
    filing = await filed_dispute(mock.adapter, ())
    never = DisputeFiling(
        dispute_id=charge_request().payment_id,
        payment_id=filing.payment_id,
        money=filing.money,
        reason=filing.reason,
        evidence=(),
    )

    assert await _forward(mock.adapter, never, ("photo",)) is EvidenceStatus.REFUSED


@pytest.mark.parametrize("past", ["submitted", "won", "lost", "closed"])
async def test_the_mock_refuses_evidence_past_review(mock: MockGateway, past: str) -> None:
    filing = await filed_dispute(mock.adapter, ("receipt",))
    moved = await mock.client.post(
        f"/admin/disputes/{filing.dispute_id}/status", json={"status": past}
    )
    assert moved.status_code == 202, moved.text

    assert await _forward(mock.adapter, filing, ("receipt", "photo")) is EvidenceStatus.REFUSED
    assert await _held_by_mock(mock, filing) == ["receipt"]


async def test_the_mock_refuses_texts_that_do_not_follow_its_own(mock: MockGateway) -> None:
    filing = await filed_dispute(mock.adapter, ("receipt",))

    assert await _forward(mock.adapter, filing, ("photo", "receipt")) is EvidenceStatus.REFUSED
    assert await _held_by_mock(mock, filing) == ["receipt"]


@pytest.mark.parametrize(
    ("status", "body", "said"),
    [
        (200, {"dispute_id": "ID", "evidence": ["a", "b"]}, EvidenceStatus.HELD),
        (200, {"dispute_id": "ID", "evidence": ["a", "b", "c"]}, EvidenceStatus.HELD),
        (200, {"dispute_id": "ID", "evidence": ["a"]}, EvidenceStatus.UNKNOWN),  # fewer
        (200, {"dispute_id": "ID"}, EvidenceStatus.UNKNOWN),
        (200, {"dispute_id": "someone-else", "evidence": ["a", "b"]}, EvidenceStatus.UNKNOWN),
        (404, {"status": "not_found"}, EvidenceStatus.REFUSED),
        (404, {"detail": "Not Found"}, EvidenceStatus.UNKNOWN),  # a wrong URL, a proxy
        (409, {"error": "dispute_decided", "status": "won"}, EvidenceStatus.REFUSED),
        (409, {"error": "a request with this key is in flight"}, EvidenceStatus.UNKNOWN),
        (429, {"error": "rate limited"}, EvidenceStatus.UNKNOWN),
        (200, "not json", EvidenceStatus.UNKNOWN),
    ],
)
def test_only_the_providers_own_answers_say_held_or_refused(
    status: int, body: object, said: EvidenceStatus
) -> None:
    dispute_id = charge_request().payment_id
    if isinstance(body, dict) and body.get("dispute_id") == "ID":
        body = {**body, "dispute_id": str(dispute_id)}
    content = body.encode() if isinstance(body, str) else orjson.dumps(body)

    response = httpx.Response(status, content=content)
    assert replies.evidence_status(response, dispute_id, 2) is said


@pytest.mark.parametrize(
    ("answer", "status"),
    [
        (httpx.Response(500, json={"error": "internal"}), EvidenceStatus.FAILED),
        (httpx.ConnectError("refused"), EvidenceStatus.FAILED),
        (httpx.Response(504, json={"error": "upstream timed out"}), EvidenceStatus.UNKNOWN),
        (httpx.ReadTimeout("read timed out"), EvidenceStatus.UNKNOWN),
    ],
    ids=["5xx", "never-connected", "504", "timeout"],
)
async def test_evidence_without_an_answer_is_retried_then_failed_or_unknown(
    answer: httpx.Response | Exception, status: EvidenceStatus
) -> None:
    adapter, seen = scripted_adapter(answer)
    dispute_id = charge_request().payment_id
    async with adapter.admission():
        said = await adapter.forward_evidence(dispute_id, ("a",), Deadline.after(DEADLINE_S))

    assert said is status
    assert [f"{r.method} {r.url.path}" for r in seen] == [
        f"POST /disputes/{dispute_id}/evidence"
    ] * 3
    assert [orjson.loads(r.content) for r in seen] == [{"evidence": ["a"]}] * 3


async def test_evidence_with_no_time_left_is_not_sent_and_unknown() -> None:
    adapter, seen = scripted_adapter(httpx.Response(200, json={}))
    async with adapter.admission():
        status = await adapter.forward_evidence(
            charge_request().payment_id, ("a",), Deadline.after(0.0)
        )

    assert status is EvidenceStatus.UNKNOWN
    assert seen == []
