"""A filing whose first attempt reached the provider and was recorded there, but whose
answer never came back clearly, is not a refusal: the dispute stays OPEN (504), and when
the provider rules WON the wallet gets the chargeback. Two ways the answer gets lost:
- too slow (our attempt timed out), and the retry gets the provider's 409 "a request with
  this key is in flight" (as e.g. Stripe's idempotency layer answers);
- lost at a proxy in front of it (nginx answers 502 when the upstream closes after
  reading the request), and the retries are shed before the provider (503)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from dispute_kit import Provider, approved_payment, open_dispute, via_use_case
from wallet_api_testkit import StartApi

from mock_gateway import Settings as MockGatewaySettings
from mock_gateway import create_app as create_mock_gateway


async def _answer(send: Any, status: int, body: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json")],
        }
    )
    await send({"type": "http.response.body", "body": body})


class _RecordedThenUnclear:
    """The mock provider, except that the first `POST /disputes` is recorded there and
    its answer lost (`first`: "slow" or "502"), and every repeat answers `then`."""

    def __init__(self, mock: Any, first: str, then: tuple[int, bytes]) -> None:
        self.mock, self.first, self.then = mock, first, then
        self.posts = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or (scope["method"], scope["path"]) != ("POST", "/disputes"):
            await self.mock(scope, receive, send)
            return
        self.posts += 1
        if self.posts > 1:
            await _answer(send, *self.then)
            return
        replies: list[Any] = []

        async def held(message: Any) -> None:
            replies.append(message)

        await self.mock(scope, receive, held)  # recorded by the provider
        if self.first == "502":
            await _answer(send, 502, b"<html>502 Bad Gateway</html>")
            return
        await asyncio.sleep(5)  # ... but its answer comes too late
        for message in replies:
            await send(message)


@pytest.mark.parametrize(
    ("first", "then"),
    [
        ("slow", (409, b'{"error": "a request with this idempotency key is in flight"}')),
        ("502", (503, b"<html>503 Service Unavailable</html>")),
    ],
    ids=["timeout-then-409", "502-then-503"],
)
async def test_a_dispute_the_provider_recorded_is_not_canceled_when_its_answer_is_lost(
    start_api: StartApi, first: str, then: tuple[int, bytes]
) -> None:
    mock = create_mock_gateway(MockGatewaySettings())
    provider = Provider(mock)
    async with start_api(mock_app=mock) as plain:
        user_id, payment_id = await approved_payment(plain, amount=300, funded=1_000)
    gateway = _RecordedThenUnclear(mock, first, then)
    async with start_api(mock_app=gateway) as api:  # type: ignore[arg-type]
        response = await open_dispute(api, user_id, payment_id)
        dispute_id = response.json()["error"]["details"]["dispute_id"]
        assert gateway.posts >= 2
        assert provider.filed(dispute_id) is not None  # the provider has the dispute
        shown = (await api.client.get(f"/disputes/{dispute_id}")).json()
        before = (await api.balances(user_id))["USD"]["available"]
        # The provider goes on to decide it, and rules for the wallet's owner.
        outcomes = [
            str(await via_use_case(api, await provider.move(dispute_id, status)))
            for status in ("under_review", "submitted", "won")
        ]
        after = (await api.balances(user_id))["USD"]["available"]

    assert (response.status_code, shown["status"], outcomes, after - before) == (
        504,
        "OPEN",
        ["applied", "applied", "applied"],
        300,
    )
