"""A dispute filing whose first attempt may have reached the provider (a timeout) and whose
retry is answered with a 4xx that is not a refusal of the dispute (409 "a request with this
idempotency key is still in flight", 429 rate limited, a proxy's bare 404) stays UNKNOWN:
the provider may have the dispute from the first attempt, and FAILED would cancel it (a
won chargeback then never credited). Only the provider's own refusal is FAILED."""

from __future__ import annotations

from collections.abc import Iterator
from uuid import uuid4

import httpx
import pytest
import stamina
from wallet_domain.deadline import Deadline
from wallet_domain.money import Money
from wallet_domain.ports.payment_gateway import DisputeFiling, FilingStatus
from wallet_infra.gateway import GatewaySettings, HttpxPaymentGateway


@pytest.fixture(autouse=True)
def _no_backoff() -> Iterator[None]:
    with stamina.set_testing(True, attempts=1000, cap=True):
        yield


def _filing() -> DisputeFiling:
    return DisputeFiling(
        dispute_id=uuid4(),
        payment_id=uuid4(),
        money=Money(1250, "USD"),
        reason="service never delivered",
        evidence=(),
    )


class _Provider:
    """Records the dispute on the first POST, then is too slow to answer it (our read
    times out); the retry with the same Idempotency-Key gets `retry_reply`."""

    def __init__(self, retry_reply: httpx.Response) -> None:
        self.retry_reply = retry_reply
        self.has: set[str] = set()
        self.posts = 0

    async def handle(self, request: httpx.Request) -> httpx.Response:
        self.posts += 1
        if self.posts == 1:
            self.has.add(request.headers["Idempotency-Key"])
            raise httpx.ReadTimeout("read timed out")
        return self.retry_reply


@pytest.mark.parametrize(
    "retry_reply",
    [
        httpx.Response(409, json={"error": "a request with this key is in flight"}),
        httpx.Response(429, json={"error": "rate limited"}),
        httpx.Response(404, text="Not Found"),  # a proxy's bare 404, not the provider's
    ],
    ids=["409-in-flight", "429", "bare-404"],
)
async def test_a_4xx_after_an_ambiguous_attempt_is_not_a_refusal(
    retry_reply: httpx.Response,
) -> None:
    provider = _Provider(retry_reply)
    client = httpx.AsyncClient(
        transport=httpx.MockTransport(provider.handle), base_url="http://gateway.test"
    )
    adapter = HttpxPaymentGateway(client=client, settings=GatewaySettings(backoff_jitter_s=0))
    filing = _filing()
    try:
        async with adapter.admission():
            status = await adapter.file_dispute(filing, Deadline.after(5.0))
    finally:
        await client.aclose()

    assert str(filing.dispute_id) in provider.has  # the provider has the dispute
    # FAILED would cancel it here (answer_filing), so a WON from the provider is refused.
    assert status is FilingStatus.UNKNOWN


@pytest.mark.parametrize(
    "refusal",
    [
        httpx.Response(404, json={"status": "payment_not_found"}),
        httpx.Response(400, json={"error": "Idempotency-Key must equal dispute_id"}),
    ],
    ids=["payment-not-found", "bad-request"],
)
async def test_only_the_providers_own_refusal_is_a_failed_filing(refusal: httpx.Response) -> None:
    async def refuse(request: httpx.Request) -> httpx.Response:
        return refusal

    client = httpx.AsyncClient(
        transport=httpx.MockTransport(refuse), base_url="http://gateway.test"
    )
    adapter = HttpxPaymentGateway(client=client, settings=GatewaySettings(backoff_jitter_s=0))
    try:
        async with adapter.admission():
            status = await adapter.file_dispute(_filing(), Deadline.after(5.0))
    finally:
        await client.aclose()

    assert status is FilingStatus.FAILED
