"""Per-API-key rate limit: a token bucket per configured key, 429 RATE_LIMITED with
a whole-second `Retry-After`, probes exempt, a refused request costs nothing."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

import httpx
import pytest
from wallet_api.auth.keyring import KeyRing
from wallet_api.http.rate_limiter import RateLimiter, TokenBucket
from wallet_api_testkit import SCOPED_KEY, StartApi, assert_error, new_key
from wallet_infra.config.api_keys import parse_api_keys


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_bucket_allows_a_burst_then_the_sustained_rate() -> None:
    bucket = TokenBucket(rate_per_s=10, burst=3, now=0.0)
    assert [bucket.take(0.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert bucket.take(0.0) == pytest.approx(0.1)
    assert bucket.take(0.05) == pytest.approx(0.05), "a refusal takes nothing"
    assert bucket.take(0.1) == 0.0
    assert bucket.take(10.0) == 0.0  # refilled, but never beyond the burst:
    assert [bucket.take(10.0) for _ in range(3)][-1] > 0


def test_limiter_keeps_one_bucket_per_configured_key_only() -> None:
    clock = FakeClock()
    limiter = RateLimiter(rate_per_s=1, burst=1, key_ids=["key-0", "key-1"], clock=clock)
    assert limiter.wait_s("key-0") == 0.0
    assert limiter.wait_s("key-0") == pytest.approx(1.0)
    assert limiter.wait_s("key-1") == 0.0, "keys do not share tokens"
    for n in range(1_000):  # nothing a caller passes grows the state
        limiter.wait_s(f"unknown-{n}")
    assert len(limiter._buckets) == 2
    clock.now += 1.0
    assert limiter.wait_s("key-0") == 0.0


def test_each_configured_key_is_limited_under_its_own_non_secret_id() -> None:
    ring = KeyRing(parse_api_keys("first-secret,second-secret=alice"))
    first, second = ring.authenticate("first-secret"), ring.authenticate("second-secret")
    assert first is not None
    assert second is not None
    assert (first.key_id, second.key_id) == ("key-0", "key-1")


@pytest.mark.parametrize("bad", [{"rate_per_s": 0, "burst": 1}, {"rate_per_s": 1, "burst": 0}])
def test_bucket_needs_a_rate_and_a_burst(bad: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="positive rate"):
        TokenBucket(now=0.0, **bad)  # type: ignore[arg-type]


async def test_over_the_rate_is_429_with_retry_after_per_key(start_api: StartApi) -> None:
    async with start_api(rate_limit_per_s=0.25, rate_limit_burst=3, api_metrics_public=True) as api:
        for _ in range(3):
            assert (await api.client.get("/providers")).status_code == 200
        limited = await api.client.get("/providers")
        error = assert_error(limited, 429, "RATE_LIMITED")
        assert error["details"] == {}
        assert limited.headers["Retry-After"] == "4"  # 1 token / 0.25 per s, whole seconds

        for path in ("/healthz", "/metrics", "/readyz"):  # probes and scrapes: exempt
            for _ in range(5):
                assert (await api.client.get(path)).status_code in (200, 503)
        scoped = await api.client.get("/providers", headers={"X-API-Key": SCOPED_KEY})
        assert scoped.status_code == 200, "another key has its own bucket"
        unauthenticated = await api.client.get("/providers", headers={"X-API-Key": "wrong"})
        assert_error(unauthenticated, 401, "UNAUTHORIZED")  # auth comes first


async def test_a_limited_payment_debits_nothing_and_keeps_its_key(start_api: StartApi) -> None:
    # A slow refill (one token per 2 s), so the set-up cannot outrun it on a busy machine.
    async with start_api(rate_limit_per_s=0.5, rate_limit_burst=3) as api:
        user_id = await api.funded_wallet(1_000)  # 2 requests
        await api.balances(user_id)  # the 3rd: the burst is spent
        key = new_key()
        limited = await api.pay(user_id, 100, key=key)
        assert_error(limited, 429, "RATE_LIMITED")
        assert limited.headers["Retry-After"] == "2"

        # Retried until a token is back: every refused attempt must have cost nothing.
        retried = await _until_admitted(lambda: api.pay(user_id, 100, key=key))
        assert retried.status_code == 201, retried.text
        assert "Idempotent-Replayed" not in retried.headers
        balance = await _until_admitted(lambda: api.client.get(f"/wallets/{user_id}/balance"))
        assert [(b["currency"], b["available"]) for b in balance.json()["balances"]] == [
            ("USD", 900)
        ]


async def _until_admitted(
    call: Callable[[], Awaitable[httpx.Response]], timeout_s: float = 10.0
) -> httpx.Response:
    deadline = time.monotonic() + timeout_s
    while (response := await call()).status_code == 429:
        assert time.monotonic() < deadline, "the bucket never refilled"
        await asyncio.sleep(0.05)
    return response


async def test_zero_turns_the_limit_off(start_api: StartApi) -> None:
    async with start_api(rate_limit_per_s=0, rate_limit_burst=1) as api:
        for _ in range(30):
            assert (await api.client.get("/providers")).status_code == 200
    async with start_api(rate_limit_per_s=1, rate_limit_burst=0) as api:
        for _ in range(30):
            assert (await api.client.get("/providers")).status_code == 200
