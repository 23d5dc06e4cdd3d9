"""A standby that lost its connection to the primary falls behind without bound, yet the
lag check measures it as current (0 s): it compares only what the standby RECEIVED with
what it REPLAYED, never with what the primary has written. Reads that tolerate lag keep
going to it however far behind it gets.

Runs on a private primary + standby pair made here (initdb + pg_basebackup -R, as the
`postgres` OS user, on free ports under a temporary directory), so the shared replica is
never touched; skipped where that cannot be done."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Final

import pytest
from wallet_infra.persistence.engine import make_engine
from wallet_infra.read_replicas.lag import replica_lag_s
from wallet_testkit.db import fetch
from wallet_testkit.processes import free_port

BIN: Final = Path("/usr/lib/postgresql/15/bin")
MAX_LAG_S: Final = 0.5  # WALLET_REPLICA_MAX_LAG_MS's default


def _as_postgres(*args: str) -> None:
    command = [*args]
    if os.geteuid() == 0:
        command = ["runuser", "-u", "postgres", "--", *command]
    subprocess.run(command, check=True, capture_output=True, timeout=120)  # noqa: S603


def _start(data: Path, port: int, root: Path) -> None:
    """`pg_ctl start` the cluster in `data` on `port`, its socket and log under `root`."""
    opts = f"-p {port} -k {root} -c listen_addresses=localhost"
    log = str(root / f"{data.name}.log")
    _as_postgres(str(BIN / "pg_ctl"), "-D", str(data), "-o", opts, "-l", log, "-w", "start")


@pytest.fixture
def pair() -> Iterator[tuple[str, str, Path]]:
    if not (BIN / "initdb").exists() or shutil.which("runuser") is None:
        pytest.skip("needs PostgreSQL 15 binaries and runuser")
    root = Path(tempfile.mkdtemp(prefix="standby-pair-"))
    shutil.chown(root, "postgres", "postgres")
    primary, standby = root / "primary", root / "standby"
    p_port, s_port = free_port(), free_port()
    started: list[Path] = []
    try:  # started is appended before each start, so a half-started one is stopped too
        _as_postgres(str(BIN / "initdb"), "-D", str(primary), "-U", "postgres", "--auth=trust")
        started.append(primary)
        _start(primary, p_port, root)
        _as_postgres(
            str(BIN / "pg_basebackup"), "-D", str(standby), "-R",
            "-h", str(root), "-p", str(p_port), "-U", "postgres",
        )  # fmt: skip
        started.append(standby)
        _start(standby, s_port, root)
        yield (
            f"postgresql://postgres@localhost:{p_port}/postgres",
            f"postgresql://postgres@localhost:{s_port}/postgres",
            root,
        )
    finally:
        for data in reversed(started):
            with contextlib.suppress(subprocess.CalledProcessError):  # never started
                _as_postgres(str(BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop")
        shutil.rmtree(root, ignore_errors=True)


async def _until(url: str, sql: str, *, timeout_s: float = 30.0) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout_s
    while not (await fetch(url, sql))[0][0]:
        assert loop.time() < end, sql
        await asyncio.sleep(0.1)


@pytest.mark.asyncio(loop_scope="session")
async def test_a_standby_cut_off_from_its_primary_is_not_measured_as_current(
    pair: tuple[str, str, Path],
) -> None:
    primary_url, standby_url, _ = pair
    await fetch(primary_url, "CREATE TABLE t (n int)")
    await fetch(primary_url, "INSERT INTO t VALUES (1)")
    await _until(standby_url, "SELECT EXISTS (SELECT FROM pg_class WHERE relname = 't')")
    await _until(standby_url, "SELECT count(*) = 1 FROM t")
    # The standby loses its primary (a partition, a wrong primary_conninfo after a
    # failover, a walsender killed by wal_sender_timeout and not coming back...).
    await fetch(standby_url, "ALTER SYSTEM SET primary_conninfo = 'host=localhost port=1'")
    await fetch(standby_url, "SELECT pg_reload_conf()")
    await _until(standby_url, "SELECT NOT EXISTS (SELECT FROM pg_stat_wal_receiver)")
    # The primary goes on: commits the standby will never see while cut off.
    for n in range(2, 12):
        await fetch(primary_url, f"INSERT INTO t VALUES ({n})")
        await asyncio.sleep(0.2)
    assert (await fetch(standby_url, "SELECT count(*) FROM t"))[0][0] == 1  # 2 s stale

    engine = make_engine(standby_url, pool_size=1, max_overflow=0)
    try:
        lag_s = await replica_lag_s(engine, timeout_s=5)
    finally:
        await engine.dispose()

    assert lag_s > MAX_LAG_S, f"measured {lag_s} s on a standby 2 s behind and falling"
