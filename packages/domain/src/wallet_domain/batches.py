"""Work done in short transactions: a purge or sweep of any size runs as batches of a fixed
number of rows, each committed on its own, so no transaction holds its locks long."""

from __future__ import annotations

from collections.abc import Awaitable, Callable


async def until_short_batch(one_batch: Callable[[], Awaitable[int]], *, batch: int) -> int:
    """Run `one_batch` (at most `batch` rows in a transaction of its own; returns how many
    it handled) again until one comes back short, so none is left; the total handled."""
    total = 0
    while True:
        handled = await one_batch()
        total += handled
        if handled < batch:
            return total
