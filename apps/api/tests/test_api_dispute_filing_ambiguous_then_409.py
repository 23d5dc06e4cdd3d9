"""A filing whose first attempt reached the provider (recorded there, its answer too slow:
our attempt timed out) and whose retry got the provider's 409 "a request with this key is
still in flight" is not a refusal: the dispute stays OPEN (504), and when the provider
rules WON the wallet gets the chargeback."""

from __future__ import annotations

import asyncio
from typing import Any

from dispute_kit import Provider, approved_payment, open_dispute, via_use_case
from wallet_api_testkit import StartApi

from mock_gateway import Settings as MockGatewaySettings
from mock_gateway import create_app as create_mock_gateway


class _SlowThenInFlight:
    """The mock provider, except that the first `POST /disputes` is recorded and then
    answered too late, and a repeat while it 'still runs' gets 409 (as e.g. Stripe's
    idempotency layer answers a concurrent request with the same key)."""

    def __init__(self, mock: Any) -> None:
        self.mock = mock
        self.posts = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["method"] == "POST" and scope["path"] == "/disputes":
            self.posts += 1
            if self.posts == 1:
                replies: list[Any] = []

                async def hold(message: Any) -> None:
                    replies.append(message)

                await self.mock(scope, receive, hold)  # recorded by the provider
                await asyncio.sleep(5)  # ... but its answer comes too late
                for message in replies:
                    await send(message)
                return
            body = b'{"error": "a request with this idempotency key is in flight"}'
            await send(
                {
                    "type": "http.response.start",
                    "status": 409,
                    "headers": [(b"content-type", b"application/json")],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return
        await self.mock(scope, receive, send)


async def test_a_dispute_the_provider_has_is_not_canceled_on_a_409_retry(
    start_api: StartApi,
) -> None:
    mock = create_mock_gateway(MockGatewaySettings())
    provider = Provider(mock)
    async with start_api(mock_app=mock) as plain:
        user_id, payment_id = await approved_payment(plain, amount=300, funded=1_000)
    gateway = _SlowThenInFlight(mock)
    async with start_api(mock_app=gateway) as api:  # type: ignore[arg-type]
        response = await open_dispute(api, user_id, payment_id)
        dispute_id = response.json()["error"]["details"]["dispute_id"]
        assert gateway.posts == 2
        assert provider.filed(dispute_id) is not None  # the provider has the dispute
        shown = (await api.client.get(f"/disputes/{dispute_id}")).json()
        before = (await api.balances(user_id))["USD"]["available"]
        # The provider goes on to decide it, and rules for the wallet's owner.
        outcomes = [
            await via_use_case(api, await provider.move(dispute_id, status))
            for status in ("under_review", "submitted", "won")
        ]
        after = (await api.balances(user_id))["USD"]["available"]

    # Expected: 504 (no definite answer), the dispute OPEN, and the won chargeback credited.
    assert (response.status_code, shown["status"], outcomes, after - before) == (
        504,
        "OPEN",
        ["applied", "applied", "applied"],
        300,
    )
