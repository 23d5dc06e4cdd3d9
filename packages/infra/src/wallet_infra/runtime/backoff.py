"""Pacing a long-running loop through an outage: exponential backoff with jitter.

For a loop that never gives up and must stop at once when asked (the relay's workers:
events wait in the database, so there is no retry budget to exhaust). Retrying one
operation until it succeeds is stamina's job instead (`connect_broker`, the gateway
client): a retry decorator cannot interleave its waits with a loop's other work.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from typing import Final

INITIAL_S: Final = 0.1


class Backoff:
    """The n-th delay is drawn from [c/2, c], c = min(max_s, initial_s * 2**n): the
    jitter keeps N relays that lost the broker together from retrying in lockstep, the
    floor keeps a relay from spinning."""

    def __init__(self, *, max_s: float, initial_s: float = INITIAL_S) -> None:
        if initial_s <= 0 or max_s < initial_s:
            raise ValueError("need 0 < initial_s <= max_s")
        self._initial_s = initial_s
        self._max_s = max_s
        self._failures = 0

    @property
    def failures(self) -> int:
        return self._failures

    def next_delay(self) -> float:
        ceiling = min(self._max_s, self._initial_s * 2.0 ** min(self._failures, 32))
        self._failures += 1
        return random.uniform(ceiling / 2, ceiling)  # noqa: S311 - jitter, not crypto

    def reset(self) -> None:
        self._failures = 0


async def sleep_unless_stopped(stop: asyncio.Event, delay_s: float) -> None:
    """Sleep `delay_s`, returning early if `stop` is set."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(delay_s):
            await stop.wait()
