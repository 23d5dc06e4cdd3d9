"""The primary's WAL position over the last checks: what a replica's lag is measured
against.

Each check of the replica monitor first reads the primary's `pg_current_wal_lsn()` and
records it with the monotonic time it was asked (`PrimaryWal.sample`); a replica's
replay position is read after that, so it can never look ahead of the sample it is
compared with. `WalHistory` keeps the samples and holds the rule:

- a replica that has replayed the latest sample's position is current (lag 0): an idle
  primary, whose position does not move, keeps its replicas current;
- otherwise its lag is the age of the OLDEST sample whose position it has not replayed:
  the primary had written something by then that the replica still lacks. The truth
  lies between that age and the age of the sample before it, so the measure is at most
  one check interval under the truth, never over it (a replica a few milliseconds
  behind a busy primary reads a few milliseconds);
- a replica that has not replayed even the oldest sample kept is behind without a known
  bound (infinity): at the first check of a process (no earlier sample), or behind by
  more than `KEEP_S`.

Only samples where the position moved are kept (an unmoved position's first sample is
the one that counts), for `KEEP_S` plus the newest older one, as the bound of what is
known.
"""

from __future__ import annotations

import asyncio
import math
import time
from bisect import bisect_right
from collections import deque
from typing import Final

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

KEEP_S: Final = 600.0
# The position as a number of bytes (pg_lsn - pg_lsn is numeric), so it compares in Python.
_CURRENT_LSN: Final = text("SELECT CAST(pg_current_wal_lsn() - '0/0'::pg_lsn AS bigint)")


class WalHistory:
    """(monotonic time, primary LSN) samples, oldest first, LSNs strictly increasing."""

    def __init__(self, *, keep_s: float = KEEP_S) -> None:
        self._keep_s = keep_s
        self._samples: deque[tuple[float, int]] = deque()
        self._read_at: float | None = None  # the last position read, moved or not
        self._lost = False  # the last read failed: what the primary wrote since is unknown

    def record(self, at: float, lsn: int) -> None:
        self._read_at, self._lost = at, False
        if self._samples:
            last = self._samples[-1][1]
            if lsn == last:
                return  # no write since: the first time at this position stands
            if lsn < last:  # another server answers as the primary (a failover): start over
                self._samples.clear()
        self._samples.append((at, lsn))
        while len(self._samples) > 1 and self._samples[1][0] <= at - self._keep_s:
            self._samples.popleft()

    def lost(self) -> None:
        """The primary could not be read: until it is again, what it wrote since the last
        read is unknown (the check's read can fail while the primary takes writes)."""
        self._lost = True

    def lag_s(self, replayed: int, *, now: float) -> float:
        """Seconds a replica that has replayed up to `replayed` is behind, at `now`; while
        the primary cannot be read, at least the time since it last was."""
        if not self._samples or replayed < self._samples[0][1]:
            return math.inf
        unknown_s = 0.0
        if self._lost and self._read_at is not None:
            unknown_s = max(0.0, now - self._read_at)
        if replayed >= self._samples[-1][1]:
            return unknown_s
        oldest_missing = bisect_right(self._samples, replayed, key=lambda sample: sample[1])
        return max(unknown_s, now - self._samples[oldest_missing][0])


class PrimaryWal:
    """The primary's position, read on `engine` (one connection of its own, so a check
    never waits behind requests for a pooled one), and its history."""

    def __init__(self, engine: AsyncEngine, *, keep_s: float = KEEP_S) -> None:
        self.engine = engine
        self.history = WalHistory(keep_s=keep_s)
        self.reached: bool | None = None  # the last sample's outcome (None: none yet)

    async def sample(self, *, timeout_s: float) -> None:
        """Records the primary's position now. Raises when it cannot answer within
        `timeout_s` (the history's positions are left as they were, marked `lost`)."""
        try:
            async with asyncio.timeout(timeout_s), self.engine.connect() as connection:
                at = time.monotonic()  # asked at or after this: its age is not understated
                lsn = (await connection.execute(_CURRENT_LSN)).scalar_one()
        except Exception:
            self.reached = False
            self.history.lost()
            raise
        self.reached = True
        self.history.record(at, int(lsn))

    async def dispose(self) -> None:
        await self.engine.dispose()
