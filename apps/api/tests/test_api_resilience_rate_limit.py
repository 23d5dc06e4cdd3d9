"""Per-API-key rate limit: a token bucket per configured key, 429 RATE_LIMITED with
a whole-second `Retry-After`, probes exempt, a refused request costs nothing."""

from __future__ import annotations

import pytest
from wallet_api.auth.keyring import KeyRing
from wallet_api.http.rate_limiter import RateLimiter, TokenBucket
from wallet_api_testkit import SCOPED_KEY, FakeClock, StartApi, assert_error, new_key
from wallet_infra.config.api_keys import parse_api_keys


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


@pytest.fixture
def app_clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    """The clock of every RateLimiter an app builds meanwhile: time stands still until the
    test moves it, so a bucket refills only when the test says so."""
    clock = FakeClock()
    defaults = RateLimiter.__init__.__kwdefaults__
    assert defaults is not None
    monkeypatch.setitem(defaults, "clock", clock)
    return clock


async def test_over_the_rate_is_429_with_retry_after_per_key(
    start_api: StartApi, app_clock: FakeClock
) -> None:
    async with start_api(rate_limit_per_s=0.25, rate_limit_burst=3, api_metrics_public=True) as api:
        for _ in range(3):
            assert (await api.client.get("/providers")).status_code == 200
        limited = await api.client.get("/providers")
        error = assert_error(limited, 429, "RATE_LIMITED")
        assert error["details"] == {}
        assert limited.headers["Retry-After"] == "4"  # 1 token / 0.25 per s
        app_clock.now += 2.5
        later = await api.client.get("/providers")
        assert later.headers["Retry-After"] == "2"  # 1.5 s to go, in whole seconds

        for path in ("/healthz", "/metrics", "/readyz"):  # probes and scrapes: exempt
            for _ in range(5):
                assert (await api.client.get(path)).status_code in (200, 503)
        scoped = await api.client.get("/providers", headers={"X-API-Key": SCOPED_KEY})
        assert scoped.status_code == 200, "another key has its own bucket"
        unauthenticated = await api.client.get("/providers", headers={"X-API-Key": "wrong"})
        assert_error(unauthenticated, 401, "UNAUTHORIZED")  # auth comes first


async def test_a_limited_payment_debits_nothing_and_keeps_its_key(
    start_api: StartApi, app_clock: FakeClock
) -> None:
    async with start_api(rate_limit_per_s=0.5, rate_limit_burst=3) as api:
        user_id = await api.funded_wallet(1_000)  # 2 requests
        await api.balances(user_id)  # the 3rd: the burst is spent
        key = new_key()
        limited = await api.pay(user_id, 100, key=key)
        assert_error(limited, 429, "RATE_LIMITED")
        assert limited.headers["Retry-After"] == "2"
        assert_error(await api.pay(user_id, 100, key=key), 429, "RATE_LIMITED")

        app_clock.now += 2.0  # one token back: every refused attempt must have cost nothing
        retried = await api.pay(user_id, 100, key=key)
        assert retried.status_code == 201, retried.text
        assert "Idempotent-Replayed" not in retried.headers
        app_clock.now += 2.0
        balance = await api.client.get(f"/wallets/{user_id}/balance")
        assert [(b["currency"], b["available"]) for b in balance.json()["balances"]] == [
            ("USD", 900)
        ]
