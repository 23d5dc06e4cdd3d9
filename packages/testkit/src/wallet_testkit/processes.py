"""Services as real subprocesses (wallet-api, wallet-relay, the consumers, mock-gateway):
environment, a log file, health waits, graceful stop or SIGKILL."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import IO, Any

import httpx

from wallet_testkit.polling import eventually

# A service's start on a busy 2-core machine, several starting at once, each recording
# coverage (its start-up imports traced, its data file written at exit): tens of seconds.
START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 20.0


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (now)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def environ_without(*prefixes: str) -> dict[str, str]:
    """This process's environment minus the variables starting with any of `prefixes`."""
    return {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}


def wallet_env(**settings: Any) -> dict[str, str]:
    """`WALLET_<NAME>` variables for settings given by field name."""
    return {f"WALLET_{key.upper()}": str(value) for key, value in settings.items()}


def python_module(module: str) -> list[str]:
    """`python -m module` with this interpreter."""
    return [sys.executable, "-m", module]


def worker_pids(pid: int) -> list[int]:
    """The worker processes a server's supervisor (`pid`) runs: multiprocessing's spawned
    children, not its resource tracker."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [
        int(child)
        for child in children
        if b"spawn_main" in Path(f"/proc/{child}/cmdline").read_bytes()
    ]


def console_script(name: str, module: str) -> list[str]:
    """The installed entry point next to this interpreter, else `python -m module`."""
    script = Path(sys.executable).with_name(name)
    return [str(script)] if script.is_file() else python_module(module)


class ServiceProcess:
    """A service subprocess logging to a temporary file (a pipe nobody reads fills up and
    blocks the service's logging). Always `close()` or `kill()` it, in a finally.

    `port`: where it serves HTTP on 127.0.0.1 (`/healthz` for `wait_healthy`), if it does.

    `new_session`: the service gets a process group of its own, and `kill()` SIGKILLs the
    whole group (workers included).
    """

    def __init__(
        self,
        name: str,
        command: Sequence[str],
        env: Mapping[str, str],
        *,
        port: int | None = None,
        cwd: Path | None = None,
        new_session: bool = False,
        start_timeout_s: float = START_TIMEOUT_S,
        probe_timeout_s: float = 5.0,
        stop_timeout_s: float = STOP_TIMEOUT_S,
    ) -> None:
        self.name = name
        self.port = port
        self.output = ""
        self._start_timeout_s = start_timeout_s
        self._probe_timeout_s = probe_timeout_s
        self._group = new_session
        self._stop_timeout_s = stop_timeout_s
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 - closed in close()
        self.process = subprocess.Popen(  # noqa: S603 - our own command
            list(command),
            env=dict(env),
            cwd=cwd,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=new_session,
        )

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL (the process group with `new_session`), and reap it."""
        if self.alive():
            if self._group:
                os.killpg(self.process.pid, signal.SIGKILL)
            else:
                self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=self._stop_timeout_s)

    def terminate(self) -> int:
        """SIGTERM and wait: the exit code of a graceful stop."""
        if self.alive():
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=self._stop_timeout_s)

    def close(self) -> str:
        """Stop the process whatever its state (SIGTERM, SIGKILL if that hangs); returns
        its output (the log), which `log()` keeps returning afterwards."""
        try:
            self.terminate()
        except subprocess.TimeoutExpired:
            self.kill()
        finally:
            if self.alive():
                self.kill()
        self.output = self.log()
        self._log.close()
        return self.output

    def stopped_gracefully(self) -> bool:
        """Exited on its own after SIGTERM: 0, or uvicorn's re-raised SIGTERM (-15)."""
        return self.process.returncode in (0, -signal.SIGTERM)

    def log(self, tail: int | None = None) -> str:
        """What the process wrote so far (its last `tail` characters)."""
        if self._log.closed:
            text = self.output
        else:
            self._log.seek(0)
            text = self._log.read().decode(errors="replace")
        return text if tail is None else text[-tail:]

    @property
    def base_url(self) -> str:
        assert self.port is not None, f"{self.name} serves no HTTP port"
        return f"http://127.0.0.1:{self.port}"

    async def wait_healthy(
        self, port: int | None = None, *, timeout_s: float | None = None, interval_s: float = 0.1
    ) -> None:
        """Until `GET /healthz` on `port` (default: its own) answers 200. Fails at once if
        the process exits, else after `timeout_s` (default: the start timeout); either way
        with the process's log."""
        base_url = f"http://127.0.0.1:{port}" if port is not None else self.base_url
        timeout_s = self._start_timeout_s if timeout_s is None else timeout_s
        async with httpx.AsyncClient(base_url=base_url, timeout=self._probe_timeout_s) as client:

            async def healthy() -> bool:
                if not self.alive():
                    raise AssertionError(f"{self.name} exited:\n{self.log(tail=4000)}")
                try:
                    return (await client.get("/healthz")).status_code == 200
                except httpx.TransportError:
                    return False

            try:
                await eventually(healthy, timeout_s=timeout_s, interval_s=interval_s)
            except AssertionError:
                if not self.alive():
                    raise
                raise TimeoutError(
                    f"{self.name} not healthy in {timeout_s}s:\n{self.log(tail=4000)}"
                ) from None


@contextmanager
def killed_at_exit() -> Iterator[list[ServiceProcess]]:
    """Collects processes; every one is SIGKILLed on the way out, whatever happened."""
    processes: list[ServiceProcess] = []
    try:
        yield processes
    finally:
        for process in processes:
            process.kill()


@contextmanager
def closing_all(processes: list[ServiceProcess]) -> Iterator[list[ServiceProcess]]:
    """Close (gracefully) every process on the way out, those appended meanwhile too; a
    failure shows the logs of those that died."""
    try:
        yield processes
    except BaseException:
        for process in processes:
            if not process.alive():
                sys.stderr.write(f"--- {process.name} exited:\n{process.log(tail=4000)}\n")
        raise
    finally:
        for process in processes:
            process.close()


@asynccontextmanager
async def module_subprocess(
    module: str, env: Mapping[str, str], log: IO[bytes], *, cwd: Path | None = None
) -> AsyncIterator[asyncio.subprocess.Process]:
    """`python -m module` under asyncio, with this environment plus `env`, output to
    `log`; on the way out SIGTERM, then SIGKILL after 20 s (for the benchmarks)."""
    process = await asyncio.create_subprocess_exec(
        *python_module(module), env={**os.environ, **env}, cwd=cwd, stdout=log,
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        yield process
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), timeout=STOP_TIMEOUT_S)
        except TimeoutError:
            process.kill()
            await process.wait()
