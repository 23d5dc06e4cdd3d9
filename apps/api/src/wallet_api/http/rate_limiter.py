"""Per-API-key token buckets, in process memory.

Why not a library: `aiolimiter` is a leaky bucket whose `acquire()` waits for capacity,
and queueing requests is exactly what a limit must not do; its non-blocking
`has_capacity()` cannot say how long until capacity, which `Retry-After` needs. The
in-memory strategies of `limits` are fixed/moving/sliding windows: none has a sustained
rate and a burst set apart, and the moving window keeps a timestamp per hit. A token
bucket is a few lines of arithmetic, answers "allowed, or wait this long" exactly, and
never allocates per request.

Bounded memory: one bucket per configured key, created up front; nothing a client sends
can add one. Per process: with N API workers or instances a key gets up to N times the rate.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable


class TokenBucket:
    """`burst` tokens at most, refilled at `rate_per_s`; a request takes one."""

    __slots__ = ("_burst", "_rate", "_tokens", "_updated")

    def __init__(self, *, rate_per_s: float, burst: int, now: float) -> None:
        if rate_per_s <= 0 or burst < 1:
            raise ValueError("a token bucket needs a positive rate and a burst of at least 1")
        self._rate = rate_per_s
        self._burst = float(burst)
        self._tokens = float(burst)
        self._updated = now

    def take(self, now: float) -> float:
        """Take a token: 0.0 if one was there, else the seconds until one will be
        (and nothing is taken: a refused request costs the client nothing)."""
        wait_s = self.wait_s(now)
        if wait_s == 0.0:
            self._tokens -= 1.0
        return wait_s

    def wait_s(self, now: float) -> float:
        """0.0 if a token is there now, else the seconds until one will be; takes none."""
        elapsed = max(0.0, now - self._updated)
        self._tokens = min(self._burst, self._tokens + elapsed * self._rate)
        self._updated = now
        if self._tokens >= 1.0:
            return 0.0
        return (1.0 - self._tokens) / self._rate


class RateLimiter:
    """One bucket per key id given at construction. Synchronous on purpose: the check
    and the take happen without an await between them, so no lock is needed."""

    def __init__(
        self,
        *,
        rate_per_s: float,
        burst: int,
        key_ids: Iterable[str],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._clock = clock
        now = clock()
        self._buckets = {
            key: TokenBucket(rate_per_s=rate_per_s, burst=burst, now=now) for key in key_ids
        }

    def wait_s(self, key_id: str) -> float:
        """0.0 if `key_id` may proceed now (a token is taken), else seconds to wait.
        A key id that was not configured has no bucket and is not limited here."""
        bucket = self._buckets.get(key_id)
        return 0.0 if bucket is None else bucket.take(self._clock())
