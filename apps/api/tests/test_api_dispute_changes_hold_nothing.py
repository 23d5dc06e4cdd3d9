"""A client's change to its dispute (cancel, evidence) holds no database connection and no
lock while the provider answers: a slow provider must not pin the pool (every other
request of the process would wait behind it) nor keep the dispute locked."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import pytest
from dispute_kit import approved_payment, opened
from wallet_api_testkit import StartApi
from wallet_testkit.polling import eventually

from mock_gateway import Settings as MockGatewaySettings
from mock_gateway import create_app as create_mock_gateway

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


class HeldChanges:
    """The mock gateway, except that a dispute change (`/cancel`, `/evidence`) waits at the
    provider until released, counting the ones waiting."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.state = app.state
        self.waiting = 0
        self.release = asyncio.Event()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] == "http" and path.endswith(("/cancel", "/evidence")):
            self.waiting += 1
            await self.release.wait()
        await self.app(scope, receive, send)


@pytest.mark.parametrize(
    ("path", "body", "outcomes"),
    [
        ("cancel", None, [200, 409, 409]),  # the second and third find it CANCELED
        ("evidence", {"evidence": ["photo"]}, [200, 200, 200]),
    ],
)
async def test_changes_waiting_on_the_provider_hold_no_connection_and_no_lock(
    start_api: StartApi, path: str, body: dict[str, Any] | None, outcomes: list[int]
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
            asyncio.create_task(api.client.post(f"/disputes/{dispute_id}/{path}", json=body))
            for _ in range(3)
        ]

        async def all_at_the_provider() -> bool:
            return provider.waiting == 3  # none waits on the dispute's lock

        await eventually(all_at_the_provider, timeout_s=10)
        # The whole pool is free while they wait: other wallets are served.
        assert (await api.client.get(f"/wallets/{other}/balance")).status_code == 200
        assert (await api.pay(other, 100, "bill-unrelated")).status_code == 201
        provider.release.set()
        replies = await asyncio.gather(*changes)

    assert sorted(r.status_code for r in replies) == outcomes, [r.text for r in replies]
    if path == "evidence":  # three sends of one addition: added once, there and here
        held = provider.state.gateway.disputes[dispute_id].evidence
        assert held.count("photo") == 1
        assert [r.json()["evidence"].count("photo") for r in replies] == [1, 1, 1]
