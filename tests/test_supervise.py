"""`make run` keeps going when one process dies: scripts/supervise.py under honcho.

honcho stops every process once one exits. Each Procfile line runs under the supervisor,
which restarts its command with a backoff and gives up (so honcho stops the rest, as before)
only after several quick deaths in a row. These run the supervisor, and honcho with it, on
small stand-in commands that write their pid to a file and wait to be killed.
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Final

import pytest
from wallet_testkit.polling import eventually

from .shell_stubs import ROOT

SUPERVISE: Final = ROOT / "scripts" / "supervise.py"
HONCHO: Final = Path(sys.executable).with_name("honcho")
WAIT_S: Final = 30.0
# Appends its pid to argv[1], then waits for a signal: a process that runs until killed.
SERVICE: Final = (
    "import os, signal, sys; open(sys.argv[1], 'a').write(f'{os.getpid()}\\n'); signal.pause()"
)
QUICK: Final = ("--backoff", "0.05", "--max-backoff", "0.2")


def _supervise(*args: str) -> list[str]:
    return [sys.executable, str(SUPERVISE), *args]


def _service(pids: Path) -> list[str]:
    return [sys.executable, "-c", SERVICE, str(pids)]


def _pids(path: Path) -> list[int]:
    return [int(line) for line in path.read_text().split()] if path.exists() else []


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (exited, not yet reaped by its parent) counts as gone.
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"


async def _until_pids(path: Path, count: int) -> list[int]:
    async def enough() -> bool:
        return len(_pids(path)) >= count

    await eventually(enough, timeout_s=WAIT_S)
    return _pids(path)


async def _until_gone(pid: int) -> None:
    async def gone() -> bool:
        return not _alive(pid)

    await eventually(gone, timeout_s=WAIT_S)


@pytest.fixture
def started() -> Iterator[list[subprocess.Popen[str]]]:
    """Processes a test starts, each in its own group; whatever is left is stopped after.

    SIGTERM first, so honcho stops the supervisors it started in sessions of their own (a
    SIGKILL to honcho's group would leave them running), then SIGKILL to the group.
    """
    processes: list[subprocess.Popen[str]] = []
    yield processes
    for process in processes:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=WAIT_S)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def _start(started: list[subprocess.Popen[str]], command: list[str]) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        command, cwd=ROOT, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    started.append(process)
    return process


async def _supervising_a_service(
    tmp_path: Path, started: list[subprocess.Popen[str]]
) -> tuple[subprocess.Popen[str], Path, int]:
    """The supervisor running a service that appends its pid to `tmp_path/pids`, once the
    service is up: the supervisor, that file, the service's pid."""
    pids = tmp_path / "pids"
    supervisor = _start(started, _supervise(*QUICK, "--", *_service(pids)))
    [pid] = await _until_pids(pids, 1)
    return supervisor, pids, pid


async def test_a_killed_process_is_restarted(
    tmp_path: Path, started: list[subprocess.Popen[str]]
) -> None:
    supervisor, pids, first = await _supervising_a_service(tmp_path, started)

    os.kill(first, signal.SIGKILL)
    second = (await _until_pids(pids, 2))[1]

    assert second != first
    assert _alive(second)
    assert supervisor.poll() is None


async def test_stopping_the_supervisor_stops_the_process_and_restarts_nothing(
    tmp_path: Path, started: list[subprocess.Popen[str]]
) -> None:
    supervisor, pids, child = await _supervising_a_service(tmp_path, started)

    supervisor.send_signal(signal.SIGTERM)  # honcho's stop, to the supervisor alone

    supervisor.wait(timeout=WAIT_S)
    await _until_gone(child)
    assert _pids(pids) == [child]


def test_a_process_that_keeps_dying_is_restarted_with_a_doubling_backoff_then_given_up(
    tmp_path: Path, started: list[subprocess.Popen[str]]
) -> None:
    runs = tmp_path / "runs"
    dying = ["bash", "-c", f"echo run >> {runs}; exit 3"]
    supervisor = _start(started, _supervise(*QUICK, "--max-restarts", "4", "--", *dying))

    _, err = supervisor.communicate(timeout=WAIT_S)

    assert supervisor.returncode == 3, "the status of the command it gave up on"
    assert runs.read_text().split() == ["run"] * 5  # the first start and 4 restarts
    delays = re.findall(r"restart \d/4 in (\S+)s", err)
    assert delays == ["0.05", "0.1", "0.2", "0.2"]  # doubling from --backoff to --max-backoff
    assert "giving up" in err


async def test_a_run_that_lasted_starts_the_count_afresh(
    tmp_path: Path, started: list[subprocess.Popen[str]]
) -> None:
    pids = tmp_path / "pids"
    # Each run lasts longer than --stable-after: never "quick", so never given up on.
    lasting = ["bash", "-c", f"echo $$ >> {pids}; sleep 0.3; exit 1"]
    args = ("--max-restarts", "1", "--stable-after", "0.1", "--backoff", "0.01", "--")
    supervisor = _start(started, _supervise(*args, *lasting))

    await _until_pids(pids, 4)

    assert supervisor.poll() is None


async def test_under_honcho_one_dead_process_is_restarted_and_the_others_run_on(
    tmp_path: Path, started: list[subprocess.Popen[str]]
) -> None:
    procfile = tmp_path / "Procfile"
    lines = []
    for name in ("one", "two"):
        command = _supervise(*QUICK, "--", *_service(tmp_path / name))
        lines.append(f"{name}: {shlex.join(command)}")
    procfile.write_text("\n".join(lines) + "\n")
    honcho = _start(started, [str(HONCHO), "start", "-f", str(procfile), "-d", str(ROOT)])
    [one] = await _until_pids(tmp_path / "one", 1)
    [two] = await _until_pids(tmp_path / "two", 1)

    os.kill(one, signal.SIGKILL)
    restarted = (await _until_pids(tmp_path / "one", 2))[1]

    assert honcho.poll() is None, "honcho stopped everything"
    assert _alive(restarted)
    assert _alive(two)
    assert _pids(tmp_path / "two") == [two]

    honcho.send_signal(signal.SIGTERM)  # as Ctrl-C: everything stops, nothing restarts
    honcho.wait(timeout=WAIT_S)
    await _until_gone(restarted)
    await _until_gone(two)
    assert len(_pids(tmp_path / "one")) == 2


def test_every_procfile_process_runs_under_the_supervisor() -> None:
    lines = (ROOT / "Procfile").read_text().splitlines()
    commands = [line.partition(":")[2].split() for line in lines if line and line[0] != "#"]

    assert commands
    for command in commands:
        assert command[:2] == ["python", "scripts/supervise.py"], command
