"""Processes the bench starts (each in its own process group) and waits for."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from http_load import Connection

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"


@contextmanager
def process(
    cmd: list[str],
    env: dict[str, str],
    name: str,
    *,
    cwd: Path = ROOT,
    stderr: IO[bytes] | None = None,
) -> Iterator[subprocess.Popen[bytes]]:
    """The process runs in a new session: its process group id is its pid."""
    proc = subprocess.Popen(
        cmd, env={**os.environ, **env}, cwd=cwd, start_new_session=True, stderr=stderr
    )
    try:
        yield proc
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        print(f"  stopped {name}", file=sys.stderr)


def ensure_free(port: int) -> None:
    """Refuse to start next to something already listening: the bench would measure (and
    the outage phase would switch the mode of) someone else's server."""
    with socket.socket() as probe:
        if probe.connect_ex((HOST, port)) == 0:
            raise SystemExit(f"port {port} is already in use: pick another (--api-port etc.)")


async def wait_healthy(port: int, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            response = await Connection(HOST, port).request("GET", "/healthz", {})
            if response.status == 200:
                return
        except OSError:
            pass
        await asyncio.sleep(0.2)
    raise RuntimeError(f"nothing healthy on port {port} after {timeout_s}s")
