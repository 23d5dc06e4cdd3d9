"""A private primary + streaming standby pair for tests that must break replication
(initdb + pg_basebackup -R, as the `postgres` OS user, on free ports under a temporary
directory), so the shared replica is never touched; skipped where that cannot be done."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import pytest
from wallet_testkit.db import fetch
from wallet_testkit.processes import free_port

BIN: Final = Path("/usr/lib/postgresql/15/bin")


@dataclass(frozen=True)
class Pair:
    primary_url: str
    standby_url: str
    root: Path


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


@contextlib.contextmanager
def standby_pair() -> Iterator[Pair]:
    """A started pair, stopped and removed after the block."""
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
        yield Pair(
            primary_url=f"postgresql://postgres@localhost:{p_port}/postgres",
            standby_url=f"postgresql://postgres@localhost:{s_port}/postgres",
            root=root,
        )
    finally:
        for data in reversed(started):
            with contextlib.suppress(subprocess.CalledProcessError):  # never started
                _as_postgres(str(BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop")
        shutil.rmtree(root, ignore_errors=True)


async def until(url: str, sql: str, *, timeout_s: float = 30.0) -> None:
    """Until `sql`'s first column is true on `url`."""
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout_s
    while not (await fetch(url, sql))[0][0]:
        assert loop.time() < end, sql
        await asyncio.sleep(0.1)
