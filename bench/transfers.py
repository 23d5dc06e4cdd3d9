"""The transfer phases of `make bench`: transfers/s and CPU per transfer.

Two loads of 1-unit USD transfers through `POST /transfers`: "spread" (between two random
different bench wallets, so locks rarely meet) and "hot receiver" (every transfer into one
wallet, so each waits for the one before on that balance row: the ceiling of a popular
merchant). CPU per transfer is measured two ways: the API's processes alone (every worker
of its process group, from /proc), which the rest of a shared machine barely moves, and
the whole host's busy time (the API, PostgreSQL and the load client), which it does.
pgbench runs the same statement (`pgbench_script.transfer_script`) for comparison.
"""

from __future__ import annotations

import json
import os
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from http_load import Connection, LoadResult, Response, run_load

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
class TransferPhase:
    result: LoadResult
    api_cpu_us: float  # per transfer
    host_cpu_us: float  # per transfer


def _body(sender: str, receiver: str) -> bytes:
    return json.dumps(
        {"from_user_id": sender, "to_user_id": receiver, "amount": 1, "currency": "USD"}
    ).encode()


async def bench_transfers(
    host: str,
    port: int,
    wallets: list[str],
    headers: dict[str, str],
    *,
    hot_receiver: bool,
    concurrency: int,
    duration_s: float,
    run_id: str,
    api_pgid: int,
) -> TransferPhase:
    rng = random.Random(run_id)

    async def transfer(conn: Connection, n: int) -> Response:
        if hot_receiver:
            sender, receiver = rng.choice(wallets[1:]), wallets[0]
        else:
            sender, receiver = rng.sample(wallets, 2)
        key_headers = {**headers, "Idempotency-Key": f"{run_id}-{n}"}
        return await conn.request("POST", "/transfers", key_headers, _body(sender, receiver))

    api_before, host_before = group_cpu_s(api_pgid), host_busy_s()
    result = await run_load(host, port, transfer, concurrency=concurrency, duration_s=duration_s)
    api_cpu, host_cpu = group_cpu_s(api_pgid) - api_before, host_busy_s() - host_before
    done = max(result.count, 1)
    return TransferPhase(result, api_cpu / done * 1e6, host_cpu / done * 1e6)
