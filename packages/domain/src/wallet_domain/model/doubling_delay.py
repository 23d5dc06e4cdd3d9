"""The wait before trying something again: `base` after the first failed try, doubled per
try since, never over `cap`. Shared by every retry schedule of the domain (the relay's
unconfirmed events, the recovery worker's set-aside payments, stranded dispute filings)."""

from __future__ import annotations

from datetime import timedelta


def doubling_delay(base: timedelta, cap: timedelta, attempt: int) -> timedelta:
    """The wait after the `attempt`-th failed try (1 for the first). Doubling stops at the
    cap, so an item failing for months waits `cap`, never an overflow."""
    if attempt < 1:
        raise ValueError("attempts must be positive")
    delay = base
    for _ in range(attempt - 1):
        if delay >= cap:
            break
        delay *= 2
    return min(delay, cap)
