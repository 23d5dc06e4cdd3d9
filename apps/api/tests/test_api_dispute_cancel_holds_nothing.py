"""A client's cancel of its dispute holds no database connection and no lock while the
provider answers the withdrawal: a slow provider must not pin the pool (every other
request of the process would wait behind it) nor keep the dispute locked."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from dispute_kit import approved_payment, opened
from wallet_api_testkit import StartApi
from wallet_testkit.polling import eventually

from mock_gateway import Settings as MockGatewaySettings
from mock_gateway import create_app as create_mock_gateway

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


class HeldChanges:
    """The mock gateway, except that a withdrawal (`/cancel`) waits at the provider until
    released, counting the ones waiting."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.state = app.state
        self.waiting = 0
        self.release = asyncio.Event()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] == "http" and path.endswith("/cancel"):
            self.waiting += 1
            await self.release.wait()
        await self.app(scope, receive, send)


async def test_cancels_waiting_on_the_provider_hold_no_connection_and_no_lock(
    start_api: StartApi,
) -> None:
    provider = HeldChanges(create_mock_gateway(MockGatewaySettings(hang_s=0.3)))
    patient = {  # one attempt each, never cut short: each change is one call held there
        "request_timeout_s": 30.0,
        "gateway_attempt_timeout_s": 30.0,
        "gateway_max_attempts": 1,
        "gateway_retry_budget_s": 30.0,
    }
    async with start_api(
        mock_app=provider,  # type: ignore[arg-type]
        db_pool_size=3,
        db_max_overflow=0,
        **patient,
    ) as api:
        user_id, payment_id = await approved_payment(api)
        dispute_id = await opened(api, user_id, payment_id)
        other = await api.funded_wallet(500)
        changes = [
            asyncio.create_task(api.client.post(f"/disputes/{dispute_id}/cancel")) for _ in range(3)
        ]

        async def all_at_the_provider() -> bool:
            return provider.waiting == 3  # none waits on the dispute's lock

        await eventually(all_at_the_provider, timeout_s=10)
        # The whole pool is free while they wait: other wallets are served.
        assert (await api.client.get(f"/wallets/{other}/balance")).status_code == 200
        assert (await api.pay(other, 100, "bill-unrelated")).status_code == 201
        provider.release.set()
        replies = await asyncio.gather(*changes)

    # One cancels it; the others find it CANCELED when the provider's answer is applied.
    assert sorted(r.status_code for r in replies) == [200, 409, 409], [r.text for r in replies]
