"""CPU per operation of a load: the API's processes alone, and the whole host.

The API's share is read from /proc for every process of its group (all workers), which
the rest of a shared machine barely moves; the host's busy time (the API, PostgreSQL and
the load client together) moves with anything else that runs there.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from http_load import LoadResult

_CLOCK_TICK_S: Final = 1 / os.sysconf("SC_CLK_TCK")


def group_cpu_s(pgid: int) -> float:
    """CPU seconds (user + system) used so far by the live processes of group `pgid`."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # exited meanwhile
        if int(fields[2]) == pgid:
            total += (int(fields[11]) + int(fields[12])) * _CLOCK_TICK_S
    return total


def host_busy_s() -> float:
    """CPU seconds every core of the host spent busy (not idle, not waiting on I/O)."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    return (sum(values[:8]) - idle) * _CLOCK_TICK_S


@dataclass(frozen=True, slots=True)
class MeasuredLoad:
    result: LoadResult
    api_cpu_us: float  # per operation (one job of the load)
    host_cpu_us: float  # per operation


@dataclass(frozen=True, slots=True)
class CpuMeter:
    """CPU counters read when a load starts; `stop` turns them into CPU per operation."""

    api_pgid: int
    api_start_s: float
    host_start_s: float

    @classmethod
    def start(cls, api_pgid: int) -> CpuMeter:
        return cls(api_pgid, group_cpu_s(api_pgid), host_busy_s())

    def stop(self, result: LoadResult) -> MeasuredLoad:
        api_cpu = group_cpu_s(self.api_pgid) - self.api_start_s
        host_cpu = host_busy_s() - self.host_start_s
        done = max(result.count, 1)
        return MeasuredLoad(result, api_cpu / done * 1e6, host_cpu / done * 1e6)


async def measured(api_pgid: int, load: Awaitable[LoadResult]) -> MeasuredLoad:
    """Run `load` and divide the CPU it took by the jobs it completed."""
    meter = CpuMeter.start(api_pgid)
    return meter.stop(await load)
