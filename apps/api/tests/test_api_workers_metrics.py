"""The scrape-time gauges (gateway breaker and bulkhead, DB pool) on the metrics port of a
real `wallet-api`, with one worker and with several (`WEB_CONCURRENCY`, as platforms set
it). With several, the port serves only what the workers wrote to the shared metrics
directory: each worker copies these gauges there (`wallet_infra.metrics.worker_gauges`):
the pool and bulkhead one series per running worker (a `pid` label, so the utilisation
alerts read each worker's), the breaker 1 if any worker is in the state. One worker: the
same series as ever, no `pid`. The alerts GatewayCircuitOpen, GatewayBulkheadSaturated and
DatabasePoolExhausted read them.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Final

import httpx
from wallet_testkit.metrics import Samples, parse_metrics, value
from wallet_testkit.polling import eventually
from wallet_testkit.processes import worker_pids

from .test_api_server_limits import Server, _start

POOL_SIZE: Final = 3
MAX_OVERFLOW: Final = 1
SETTINGS: Final = {
    "WALLET_DB_POOL_SIZE": str(POOL_SIZE),
    "WALLET_DB_MAX_OVERFLOW": str(MAX_OVERFLOW),
}
PER_WORKER: Final = (
    "wallet_gateway_bulkhead_in_use",
    "wallet_gateway_bulkhead_capacity",
    "wallet_db_pool_size",
    "wallet_db_pool_max_overflow",
    "wallet_db_pool_checked_out",
    "wallet_db_pool_overflow",
)
FAMILIES: Final = ("wallet_gateway_breaker_state", *PER_WORKER)
TIMEOUT_S: Final = 15.0


async def _scrape(started: Server) -> tuple[Samples, set[str]]:
    async with httpx.AsyncClient(timeout=10) as client:
        scraped = await client.get(f"http://127.0.0.1:{started.metrics_port}/metrics")
    assert scraped.status_code == 200
    samples = parse_metrics(scraped.text)
    return samples, {name for name, _ in samples}


def _pids(samples: Samples) -> set[str]:
    """The `pid` labels on the per-worker series."""
    return {
        label
        for (name, labels), _ in samples.items()
        if name in PER_WORKER
        for key, label in labels
        if key == "pid"
    }


def _has(samples: Samples, name: str, **labels: int) -> bool:
    return (name, tuple(sorted((k, str(v)) for k, v in labels.items()))) in samples


def _sane(samples: Samples, names: set[str], workers: list[int] | None) -> bool:
    """Every family, the breakers closed, and the pool and bulkhead of one process
    (`workers` None: unlabelled) or of each of `workers` (labelled by pid, no others)."""
    pids: list[dict[str, int]] = [{"pid": pid} for pid in workers] if workers else [{}]
    return (
        set(FAMILIES) <= names
        and _pids(samples) == {str(pid) for pid in workers or ()}
        and all(
            value(samples, "wallet_db_pool_size", **pid) == POOL_SIZE
            and value(samples, "wallet_db_pool_max_overflow", **pid) == MAX_OVERFLOW
            and _has(samples, "wallet_gateway_bulkhead_capacity", **pid)
            and _has(samples, "wallet_gateway_bulkhead_in_use", **pid)
            for pid in pids
        )
        and value(samples, "wallet_gateway_breaker_state", state="closed") == 1
        and value(samples, "wallet_gateway_breaker_state", state="open") == 0
    )


async def _wait_sane(started: Server, workers: int) -> None:
    """`workers` 1: one process's series; more: one per running worker of `started`."""

    async def sane() -> bool:
        pids = worker_pids(started.process.pid) if workers > 1 else None
        return (pids is None or len(pids) == workers) and _sane(*await _scrape(started), pids)

    try:
        await eventually(sane, timeout_s=TIMEOUT_S)
    except AssertionError:
        samples, names = await _scrape(started)
        raise AssertionError(
            (sorted(set(FAMILIES) - names), {s: v for s, v in samples.items() if s[0] in FAMILIES})
        ) from None


async def test_one_worker_serves_the_gateway_and_pool_gauges(database_url: str) -> None:
    started = await _start(database_url, **SETTINGS)
    try:
        await _wait_sane(started, workers=1)
    finally:
        started.process.close()


async def test_two_workers_serve_the_gateway_and_pool_gauges_per_worker(database_url: str) -> None:
    started = await _start(database_url, WEB_CONCURRENCY="2", **SETTINGS)
    try:
        await _wait_sane(started, workers=2)
    finally:
        started.process.close()


def _metrics_directory(pid: int) -> Path:
    """The shared metrics directory a worker writes to (from its environment)."""
    variable = b"PROMETHEUS_MULTIPROC_DIR="
    environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    return Path(next(v for v in environ if v.startswith(variable)).removeprefix(variable).decode())


def _live_gauge_files(directory: Path, pid: int) -> list[Path]:
    return list(directory.glob(f"gauge_live*_{pid}.db"))


async def test_a_dead_workers_gauges_leave_the_metrics(database_url: str) -> None:
    """A worker killed outright (its replacement started by the supervisor) no longer
    shows: its live gauge files are dropped at the next scrape, the series are the two
    running workers'."""
    started = await _start(database_url, WEB_CONCURRENCY="2", **SETTINGS)
    try:
        await _wait_sane(started, workers=2)
        first, second = worker_pids(started.process.pid)
        directory = _metrics_directory(first)
        assert _live_gauge_files(directory, first)
        os.kill(first, signal.SIGKILL)

        async def replaced_and_forgotten() -> bool:
            workers = set(worker_pids(started.process.pid))
            replacement = workers - {first, second}
            samples, names = await _scrape(started)  # a scrape drops the dead one's files
            return (
                len(workers) == 2
                and len(replacement) == 1
                and bool(_live_gauge_files(directory, replacement.pop()))
                and not _live_gauge_files(directory, first)
                and _sane(samples, names, sorted(workers))
            )

        await eventually(replaced_and_forgotten, timeout_s=TIMEOUT_S)
    finally:
        started.process.close()
