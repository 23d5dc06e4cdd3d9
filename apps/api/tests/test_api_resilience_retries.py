"""Retry discipline through the API: 5xx is retried exactly as configured, inside the
retry budget, with jittered backoff; a decline is final after one attempt."""

from __future__ import annotations

import itertools
import time
from collections import defaultdict
from typing import Any, Final

import httpx
from starlette.types import ASGIApp, Receive, Scope, Send
from wallet_api_testkit import MockGatewayClientProvider, StartApi, assert_error

from mock_gateway import Settings as MockGatewaySettings
from mock_gateway import create_app as create_mock_gateway

ATTEMPTS: Final = 4
BUDGET_S: Final = 2.0
INITIAL_S: Final = 0.05
JITTER_S: Final = 0.1
RETRYING: Final[dict[str, Any]] = {
    "gateway_max_attempts": ATTEMPTS,
    "gateway_attempt_timeout_s": 0.5,
    "gateway_retry_budget_s": BUDGET_S,
    "gateway_backoff_initial_s": INITIAL_S,
    "gateway_backoff_max_s": 0.4,
    "gateway_backoff_jitter_s": JITTER_S,
    "request_timeout_s": 10.0,
}


class AttemptClock:
    """Wraps the mock gateway app: when each charge attempt arrived, per payment id."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.arrivals: defaultdict[str, list[float]] = defaultdict(list)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and (scope["method"], scope["path"]) == ("POST", "/payments"):
            key = dict(scope["headers"]).get(b"idempotency-key", b"").decode()
            self.arrivals[key].append(time.monotonic())
        await self.app(scope, receive, send)


async def mock_stats(mock: ASGIApp) -> dict[str, dict[str, int]]:
    transport = httpx.ASGITransport(app=mock)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
        stats: dict[str, dict[str, int]] = (await client.get("/admin/stats")).json()
        return stats


async def test_a_5xx_is_retried_as_configured_within_the_budget_with_jitter(
    start_api: StartApi,
) -> None:
    mock = create_mock_gateway(MockGatewaySettings())
    clock = AttemptClock(mock)
    runs = 6
    async with start_api(extra_providers=(MockGatewayClientProvider(clock),), **RETRYING) as api:
        user_id = await api.funded_wallet(10_000)
        payment_ids = []
        for n in range(runs):
            response = await api.pay(user_id, 10, f"mock:error:{n}")
            error = assert_error(response, 502, "GATEWAY_ERROR")
            payment_ids.append(error["details"]["payment_id"])
        assert await api.balances(user_id) == {"USD": {"available": 10_000, "pending": 0}}

    stats = await mock_stats(mock)
    assert stats["attempts"] == dict.fromkeys(payment_ids, ATTEMPTS)
    assert stats["charges"] == {}
    first_gaps = []
    for payment_id in payment_ids:
        arrivals = clock.arrivals[payment_id]
        assert arrivals[-1] - arrivals[0] <= BUDGET_S
        gaps = [later - earlier for earlier, later in itertools.pairwise(arrivals)]
        for n, gap in enumerate(gaps):  # exponential backoff: at least initial * 2^n
            assert gap >= INITIAL_S * 2**n * 0.95, gaps
        first_gaps.append(gaps[0])
    # Jitter: the same wait, drawn anew each time, differs from run to run by far more
    # than scheduling noise (uniform over 100 ms here).
    assert len({round(gap, 3) for gap in first_gaps}) >= runs // 2, first_gaps
    assert max(first_gaps) - min(first_gaps) >= 0.01, first_gaps


async def test_a_decline_is_never_retried(start_api: StartApi) -> None:
    mock = create_mock_gateway(MockGatewaySettings())
    async with start_api(extra_providers=(MockGatewayClientProvider(mock),), **RETRYING) as api:
        user_id = await api.funded_wallet(1_000)
        response = await api.pay(user_id, 10, "mock:declined:once")
        payment_id = assert_error(response, 402, "PAYMENT_DECLINED")["details"]["payment_id"]

    stats = await mock_stats(mock)
    assert stats["attempts"] == {payment_id: 1}
    assert stats["charges"] == {}
