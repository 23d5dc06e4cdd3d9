"""The scrape-time gauges (gateway breaker and bulkhead, DB pool) on the metrics port of a
real `wallet-api`, with one worker and with several (`WEB_CONCURRENCY`, as platforms set
it). With several, the port serves only what the workers wrote to the shared metrics
directory: each worker copies these gauges there (`wallet_infra.metrics.worker_gauges`),
added up over the running workers (the breaker: 1 if any worker is in the state). The
alerts GatewayCircuitOpen, GatewayBulkheadSaturated and DatabasePoolExhausted read them.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Final

import httpx
from wallet_testkit.metrics import Samples, parse_metrics, value
from wallet_testkit.polling import eventually

from .test_api_server_limits import Server, _start, _workers

POOL_SIZE: Final = 3
MAX_OVERFLOW: Final = 1
SETTINGS: Final = {
    "WALLET_DB_POOL_SIZE": str(POOL_SIZE),
    "WALLET_DB_MAX_OVERFLOW": str(MAX_OVERFLOW),
}
FAMILIES: Final = (
    "wallet_gateway_breaker_state",
    "wallet_gateway_bulkhead_in_use",
    "wallet_gateway_bulkhead_capacity",
    "wallet_db_pool_size",
    "wallet_db_pool_max_overflow",
    "wallet_db_pool_checked_out",
    "wallet_db_pool_overflow",
)
TIMEOUT_S: Final = 15.0


async def _scrape(started: Server) -> tuple[Samples, set[str]]:
    async with httpx.AsyncClient(timeout=10) as client:
        scraped = await client.get(f"http://127.0.0.1:{started.metrics_port}/metrics")
    assert scraped.status_code == 200
    samples = parse_metrics(scraped.text)
    return samples, {name for name, _ in samples}


def _sane(samples: Samples, names: set[str], workers: int) -> bool:
    """Every family, the pools of `workers` workers added up, the breakers closed."""
    return (
        set(FAMILIES) <= names
        and value(samples, "wallet_db_pool_size") == POOL_SIZE * workers
        and value(samples, "wallet_db_pool_max_overflow") == MAX_OVERFLOW * workers
        and value(samples, "wallet_gateway_breaker_state", state="closed") == 1
        and value(samples, "wallet_gateway_breaker_state", state="open") == 0
        and value(samples, "wallet_gateway_bulkhead_in_use") == 0
    )


async def _wait_sane(started: Server, workers: int) -> None:
    async def sane() -> bool:
        return _sane(*await _scrape(started), workers)

    try:
        await eventually(sane, timeout_s=TIMEOUT_S)
    except AssertionError:
        samples, names = await _scrape(started)
        raise AssertionError(
            (sorted(set(FAMILIES) - names), {s: v for s, v in samples.items() if "pool" in s[0]})
        ) from None


async def test_one_worker_serves_the_gateway_and_pool_gauges(database_url: str) -> None:
    started = await _start(database_url, **SETTINGS)
    try:
        await _wait_sane(started, workers=1)
    finally:
        started.process.close()


async def test_two_workers_serve_the_gateway_and_pool_gauges_added_up(database_url: str) -> None:
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


async def test_a_dead_workers_gauges_leave_the_sums(database_url: str) -> None:
    """A worker killed outright (its replacement started by the supervisor) no longer
    counts: its live gauge files are dropped at the next scrape, the sums are the two
    running workers'."""
    started = await _start(database_url, WEB_CONCURRENCY="2", **SETTINGS)
    try:
        await _wait_sane(started, workers=2)
        first, second = _workers(started.process.pid)
        directory = _metrics_directory(first)
        assert _live_gauge_files(directory, first)
        os.kill(first, signal.SIGKILL)

        async def replaced_and_forgotten() -> bool:
            workers = set(_workers(started.process.pid))
            replacement = workers - {first, second}
            samples, names = await _scrape(started)  # a scrape drops the dead one's files
            return (
                len(workers) == 2
                and len(replacement) == 1
                and bool(_live_gauge_files(directory, replacement.pop()))
                and not _live_gauge_files(directory, first)
                and _sane(samples, names, workers=2)
            )

        await eventually(replaced_and_forgotten, timeout_s=TIMEOUT_S)
    finally:
        started.process.close()
