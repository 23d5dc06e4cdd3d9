"""CPU per operation of a load, per process group, read from /proc.

Groups: the API's processes (its process group: every worker), PostgreSQL (the backends
serving the bench's own database, found by the database name in their process title, plus
the server's WAL writer, checkpointer and background writer), the gateway's process group,
and the load generator (this process). Each is read per process at the start and at the
end of the load, so what the rest of a shared machine runs (other databases' backends,
other test runs) is not counted; the host's busy time is, and moves with anything else
running there.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from http_load import LoadResult

_CLOCK_TICK_S: Final = 1 / os.sysconf("SC_CLK_TCK")
_PG_SHARED: Final = ("walwriter", "checkpointer", "background writer")

API: Final = "api"
POSTGRES: Final = "postgres"
GATEWAY: Final = "gateway"
LOADGEN: Final = "loadgen"
GROUPS: Final = (API, POSTGRES, GATEWAY, LOADGEN)

PidSource = Callable[[], Iterable[int]]


def _stat_fields(pid: int | str) -> list[str] | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None  # exited meanwhile


def pid_cpu_s(pid: int) -> float:
    """CPU seconds (user + system) process `pid` used so far (0 if it is gone)."""
    fields = _stat_fields(pid)
    return 0.0 if fields is None else (int(fields[11]) + int(fields[12])) * _CLOCK_TICK_S


def group_pids(pgid: int) -> set[int]:
    """The live processes of process group `pgid`."""
    pids = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat_fields(entry.name)
            if fields is not None and int(fields[2]) == pgid:
                pids.add(int(entry.name))
    return pids


def group_cpu_s(pgid: int) -> float:
    """CPU seconds (user + system) used so far by the live processes of group `pgid`."""
    return sum(pid_cpu_s(pid) for pid in group_pids(pgid))


def postgres_pids(database: str) -> set[int]:
    """The backends of `database` (their title reads `postgres: user database host ...`)
    and the server's shared writers."""
    pids = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            title = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if not title.startswith("postgres: "):
            continue
        words = title.split()
        if database in words[2:4] or any(title.rstrip().endswith(s) for s in _PG_SHARED):
            pids.add(int(entry.name))
    return pids


def host_busy_s() -> float:
    """CPU seconds every core of the host spent busy (not idle, not waiting on I/O)."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    return (sum(values[:8]) - idle) * _CLOCK_TICK_S


def process_groups(
    api_pgid: int, *, database: str | None = None, gateway_pgid: int | None = None
) -> dict[str, PidSource]:
    """The groups a bench measures (those it knows the processes of)."""
    groups: dict[str, PidSource] = {API: lambda: group_pids(api_pgid)}
    if database is not None:
        groups[POSTGRES] = lambda: postgres_pids(database)
    if gateway_pgid is not None:
        groups[GATEWAY] = lambda: group_pids(gateway_pgid)
    groups[LOADGEN] = lambda: (os.getpid(),)
    return groups


@dataclass(frozen=True, slots=True)
class MeasuredLoad:
    result: LoadResult
    api_cpu_us: float  # per operation (one job of the load)
    host_cpu_us: float  # per operation
    groups_us: Mapping[str, float] = field(default_factory=dict)  # per operation, per group


def _snapshot(groups: Mapping[str, PidSource]) -> dict[str, dict[int, float]]:
    return {name: {pid: pid_cpu_s(pid) for pid in pids()} for name, pids in groups.items()}


@dataclass(frozen=True, slots=True)
class CpuMeter:
    """CPU counters read when a load starts; `stop` turns them into CPU per operation.
    A process that started during the load counts its whole life; one that ended during
    it counts nothing (the servers' processes live through a load)."""

    groups: Mapping[str, PidSource]
    start_s: Mapping[str, dict[int, float]]
    host_start_s: float

    @classmethod
    def start(cls, api_pgid: int, groups: Mapping[str, PidSource] | None = None) -> CpuMeter:
        groups = groups or process_groups(api_pgid)
        return cls(groups, _snapshot(groups), host_busy_s())

    def stop(self, result: LoadResult) -> MeasuredLoad:
        end = _snapshot(self.groups)
        host_cpu = host_busy_s() - self.host_start_s
        done = max(result.count, 1)
        per_op = {
            name: sum(cpu - self.start_s[name].get(pid, 0.0) for pid, cpu in pids.items())
            / done
            * 1e6
            for name, pids in end.items()
        }
        return MeasuredLoad(result, per_op[API], host_cpu / done * 1e6, per_op)


async def measured(
    api_pgid: int, load: Awaitable[LoadResult], groups: Mapping[str, PidSource] | None = None
) -> MeasuredLoad:
    """Run `load` and divide the CPU it took by the jobs it completed."""
    meter = CpuMeter.start(api_pgid, groups)
    return meter.stop(await load)
