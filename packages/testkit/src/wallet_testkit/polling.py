"""Polling with a timeout: wait for a condition instead of sleeping a guessed while."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

DEFAULT_INTERVAL_S = 0.05


async def eventually(
    check: Callable[[], Awaitable[bool]],
    *,
    timeout_s: float,
    interval_s: float = DEFAULT_INTERVAL_S,
    error: type[Exception] = AssertionError,
) -> float:
    """Poll `check` every `interval_s` until it is true; returns the seconds it took.

    Raises `error` ("condition not met within …") once `timeout_s` has passed.
    """
    start = time.monotonic()
    while not await check():
        if time.monotonic() - start > timeout_s:
            raise error(f"condition not met within {timeout_s}s")
        await asyncio.sleep(interval_s)
    return time.monotonic() - start


async def until(condition: Callable[[], bool], *, timeout_s: float = 5.0) -> None:
    """`eventually` for a plain (synchronous) condition on in-process state, polled every
    millisecond: the state moves as soon as the loop runs the task that changes it."""

    async def met() -> bool:
        return condition()

    await eventually(met, timeout_s=timeout_s, interval_s=0.001)
