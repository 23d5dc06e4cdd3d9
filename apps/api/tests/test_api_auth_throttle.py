"""Failed API keys, throttled per client address: a burst of 401s, then 429 RATE_LIMITED
with `Retry-After` for that address only, a valid key included; successes cost nothing;
the state stays bounded however many addresses fail."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from wallet_api.http.failure_throttle import AuthFailureThrottle, client_key
from wallet_api_testkit import (
    SERVICE_KEY,
    Api,
    FakeClock,
    StartApi,
    assert_error,
    record_error_response,
)
from wallet_infra.config.settings import Settings

GUESSER, NEIGHBOUR = "203.0.113.7", "198.51.100.9"


def _throttle(clock: FakeClock, **overrides: Any) -> AuthFailureThrottle:
    options: dict[str, Any] = {"rate_per_s": 0.5, "burst": 2, "max_clients": 100, **overrides}
    return AuthFailureThrottle(clock=clock, **options)


def test_a_burst_of_failures_then_one_per_refill() -> None:
    clock = FakeClock()
    throttle = _throttle(clock)
    for _ in range(2):
        assert throttle.wait_s(GUESSER) == 0.0
        throttle.record_failure(GUESSER)
    assert throttle.wait_s(GUESSER) == pytest.approx(2.0)
    assert throttle.wait_s(GUESSER) == pytest.approx(2.0), "asking takes nothing"
    assert throttle.wait_s(NEIGHBOUR) == 0.0, "each address has its own budget"
    clock.now += 2.0
    assert throttle.wait_s(GUESSER) == 0.0
    throttle.record_failure(GUESSER)
    assert throttle.wait_s(GUESSER) == pytest.approx(2.0)


def test_memory_is_bounded_and_the_oldest_failure_is_forgotten_first() -> None:
    clock = FakeClock()
    throttle = _throttle(clock, burst=1, max_clients=3)
    throttle.record_failure(GUESSER)
    for n in range(1_000):
        throttle.record_failure(f"10.0.{n // 256}.{n % 256}")
        assert len(throttle) <= 3
    assert throttle.wait_s(GUESSER) == 0.0
    assert throttle.wait_s("10.0.3.231") > 0  # the latest ones are remembered


@pytest.mark.parametrize(
    ("first", "second", "shared"),
    [
        ("2001:db8:1:2::1", "2001:db8:1:2:ffff::9", True),
        ("2001:db8:1:2::1", "2001:db8:1:3::1", False),
        ("::ffff:192.0.2.1", "192.0.2.1", True),
        ("192.0.2.1", "192.0.2.2", False),
    ],
)
def test_ipv6_clients_share_a_budget_per_64(first: str, second: str, shared: bool) -> None:
    assert (client_key(first) == client_key(second)) is shared


@asynccontextmanager
async def _client_from(api: Api, address: str, key: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the running app that the server sees coming from `address`."""
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=api.app, client=(address, 40_000)),
        base_url="http://api",
        headers={"X-API-Key": key},
        event_hooks={"response": [record_error_response]},
    ) as client:
        yield client


async def test_after_the_burst_the_address_gets_429_even_with_a_valid_key(
    start_api: StartApi,
) -> None:
    async with (
        start_api(auth_failure_burst=3, auth_failure_rate_per_s=0.25) as api,
        _client_from(api, GUESSER, "guess") as guesser,
        _client_from(api, NEIGHBOUR, "guess") as neighbour,
    ):
        for _ in range(3):
            assert_error(await guesser.get("/providers"), 401, "UNAUTHORIZED")
        throttled = await guesser.get("/providers")
        assert_error(throttled, 429, "RATE_LIMITED")
        assert throttled.headers["Retry-After"] == "4"  # 1 failure / 0.25 per s
        # A right guess is not told apart from a wrong one while throttled.
        right = await guesser.get("/providers", headers={"X-API-Key": SERVICE_KEY})
        assert_error(right, 429, "RATE_LIMITED")
        missing = await guesser.get("/providers", headers={"X-API-Key": ""})
        assert_error(missing, 429, "RATE_LIMITED")
        assert (await guesser.get("/healthz")).status_code == 200  # no key, no throttle

        assert_error(await neighbour.get("/providers"), 401, "UNAUTHORIZED")
        ok = await neighbour.get("/providers", headers={"X-API-Key": SERVICE_KEY})
        assert ok.status_code == 200


async def test_successes_cost_nothing(start_api: StartApi) -> None:
    async with (
        start_api(auth_failure_burst=2, auth_failure_rate_per_s=0.01) as api,
        _client_from(api, GUESSER, SERVICE_KEY) as client,
    ):
        for _ in range(20):
            assert (await client.get("/providers")).status_code == 200
        for _ in range(2):
            wrong = await client.get("/providers", headers={"X-API-Key": "typo"})
            assert_error(wrong, 401, "UNAUTHORIZED")
        assert_error(await client.get("/providers"), 429, "RATE_LIMITED")


def _default(name: str) -> Any:
    return Settings.model_fields[name].default


async def test_the_defaults_stop_a_guessing_run(start_api: StartApi) -> None:
    defaults = {
        name: _default(name)
        for name in ("auth_failure_burst", "auth_failure_rate_per_s", "auth_failure_max_clients")
    }
    async with start_api(**defaults) as api, _client_from(api, GUESSER, "") as guesser:
        statuses = [
            (await guesser.get("/providers", headers={"X-API-Key": f"guess-{n}"})).status_code
            for n in range(200)
        ]
    burst = defaults["auth_failure_burst"]
    assert 0 < burst < 100
    assert statuses[: burst + 1] == [401] * burst + [429]
    # A slow run may see a token or two refilled, never the 200 guesses of an open door.
    assert statuses.count(401) <= burst + 2


async def test_zero_turns_the_throttle_off(start_api: StartApi) -> None:
    async with start_api(auth_failure_burst=0) as api, _client_from(api, GUESSER, "x") as guesser:
        for _ in range(50):
            assert_error(await guesser.get("/providers"), 401, "UNAUTHORIZED")
