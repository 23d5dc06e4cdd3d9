"""Bounded concurrency for gateway calls, refusing at once rather than queueing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from wallet_domain.errors import GatewayUnavailable


class Bulkhead:
    """At most `capacity` holders at once; a caller over the limit is refused, never queued.

    Queueing would hold an API request (and the client) while a slow gateway drains;
    refusing lets the API answer 503 before debiting anything. Acquire and release
    never await, so on one event loop the counter needs no lock.
    """

    def __init__(self, capacity: int, *, retry_after_s: int = 1) -> None:
        if capacity < 1:
            raise ValueError("bulkhead capacity must be at least 1")
        self._capacity = capacity
        self._retry_after_s = retry_after_s
        self._in_use = 0

    @property
    def capacity(self) -> int:
        return self._capacity

    @property
    def in_use(self) -> int:
        return self._in_use

    def try_acquire(self) -> bool:
        if self._in_use >= self._capacity:
            return False
        self._in_use += 1
        return True

    def release(self) -> None:
        if self._in_use <= 0:
            raise RuntimeError("bulkhead released more often than acquired")
        self._in_use -= 1

    def acquire(self) -> None:
        """Take one slot, or raise GatewayUnavailable at once if none is free."""
        if not self.try_acquire():
            raise GatewayUnavailable(retry_after_s=self._retry_after_s, reason="bulkhead_full")

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Hold one slot for the block; raise GatewayUnavailable at once if none is free."""
        self.acquire()
        try:
            yield
        finally:
            self.release()
