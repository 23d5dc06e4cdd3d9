"""Failed API-key attempts, throttled per client address: key guessing gets 429, not 401s.

Each address has a token bucket that only failures take from: `burst` missing or wrong
keys, then one more per `1 / rate_per_s` seconds. Once it is empty, every request from that
address that needs a key is refused with 429 before its key is looked at, a valid key
included: were a valid key let through, a 429 would tell a wrong guess from a right one
and guessing would go on at full speed. A client that always sends a valid key never
takes a token, so it is never throttled unless someone shares its address (a NAT, or a
proxy whose forwarded address the server is not told to trust).

IPv6 clients count per /64: one host usually holds a whole /64, so its single addresses
would each get a fresh budget. Memory is bounded: at most `max_clients` buckets, the one
that failed longest ago is forgotten first (by then it has usually refilled, which is
the same as having none). Per process, like the per-key limit.
"""

from __future__ import annotations

import ipaddress
import time
from collections import OrderedDict
from collections.abc import Callable
from functools import lru_cache
from typing import Final

from wallet_api.http.rate_limiter import TokenBucket

IPV6_PREFIX: Final = 64


@lru_cache(maxsize=4096)
def client_key(host: str) -> str:
    """The address a budget belongs to: an IPv4 address as is, an IPv6 one as its /64."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host  # not an IP (a unix socket, a test client's name): as given
    if not isinstance(address, ipaddress.IPv6Address):
        return str(address)
    if address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    return str(ipaddress.ip_network(f"{address}/{IPV6_PREFIX}", strict=False))


class AuthFailureThrottle:
    """Synchronous on purpose, like the per-key limiter: no await between check and take."""

    def __init__(
        self,
        *,
        rate_per_s: float,
        burst: int,
        max_clients: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_clients < 1:
            raise ValueError("max_clients must be at least 1")
        self._rate = rate_per_s
        self._burst = burst
        self._max_clients = max_clients
        self._clock = clock
        self._buckets: OrderedDict[str, TokenBucket] = OrderedDict()

    def wait_s(self, host: str) -> float:
        """0.0 if `host` may try a key now, else the seconds until it may."""
        if not self._buckets:
            return 0.0
        bucket = self._buckets.get(client_key(host))
        return 0.0 if bucket is None else bucket.wait_s(self._clock())

    def record_failure(self, host: str) -> None:
        """`host` presented a missing or wrong key: one token less."""
        key = client_key(host)
        now = self._clock()
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= self._max_clients:
                self._buckets.popitem(last=False)
            bucket = TokenBucket(rate_per_s=self._rate, burst=self._burst, now=now)
            self._buckets[key] = bucket
        else:
            self._buckets.move_to_end(key)
        bucket.take(now)

    def __len__(self) -> int:
        return len(self._buckets)
