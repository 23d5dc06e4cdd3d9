"""A filing that reaches the provider and is recorded there, whose answer is lost at a
proxy in front of it (nginx answers 502 when the upstream closes the connection after
reading the request), and whose retries get 503 (the provider shedding load), is
canceled on the live path: every attempt was a "5xx" (SERVER_ERROR, not AMBIGUOUS in
wallet_infra/gateway/failures.py), so the adapter says FAILED and OpenDispute cancels the
dispute and stores 502. The provider still has the dispute and rules WON: the wallet
refuses the chargeback of a CANCELED dispute."""

from __future__ import annotations

from typing import Any

from dispute_kit import Provider, approved_payment, open_dispute, via_use_case
from wallet_api_testkit import StartApi

from mock_gateway import Settings as MockGatewaySettings
from mock_gateway import create_app as create_mock_gateway


async def _answer(send: Any, status: int, body: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"text/html")],
        }
    )
    await send({"type": "http.response.body", "body": body})


class _RecordedThenBadGateway:
    """The first `POST /disputes` reaches the provider (recorded), its answer is lost at
    the proxy (502); later ones are shed before the provider (503)."""

    def __init__(self, mock: Any) -> None:
        self.mock = mock
        self.posts = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["method"] == "POST" and scope["path"] == "/disputes":
            self.posts += 1
            if self.posts == 1:

                async def lost(message: Any) -> None:
                    pass

                await self.mock(scope, receive, lost)  # recorded by the provider
                await _answer(send, 502, b"<html>502 Bad Gateway</html>")
                return
            await _answer(send, 503, b"<html>503 Service Unavailable</html>")
            return
        await self.mock(scope, receive, send)


async def test_a_dispute_recorded_by_the_provider_behind_a_5xx_is_not_canceled(
    start_api: StartApi,
) -> None:
    mock = create_mock_gateway(MockGatewaySettings())
    provider = Provider(mock)
    async with start_api(mock_app=mock) as plain:
        user_id, payment_id = await approved_payment(plain, amount=300, funded=1_000)
    gateway = _RecordedThenBadGateway(mock)
    async with start_api(mock_app=gateway) as api:  # type: ignore[arg-type]
        response = await open_dispute(api, user_id, payment_id)
        dispute_id = response.json()["error"]["details"]["dispute_id"]
        assert gateway.posts >= 2
        assert provider.filed(dispute_id) is not None  # the provider has the dispute
        shown = (await api.client.get(f"/disputes/{dispute_id}")).json()
        before = (await api.balances(user_id))["USD"]["available"]
        outcomes = [
            await via_use_case(api, await provider.move(dispute_id, status))
            for status in ("under_review", "submitted", "won")
        ]
        after = (await api.balances(user_id))["USD"]["available"]

    # Expected: not a definite refusal (504, the dispute OPEN), and the won chargeback
    # credited. Today: 502, CANCELED, the provider's updates refused, nothing credited.
    assert (response.status_code, shown["status"], [str(o) for o in outcomes], after - before) == (
        504,
        "OPEN",
        ["applied", "applied", "applied"],
        300,
    )
