"""Stand-in executables for tests of the Makefile and the .ci scripts.

Each stub appends how it was called (`name args…`) to a calls file, so a test sees exactly
what a target or a provisioning step ran without the real tool (Docker, rabbitmq-plugins),
and a test can play any answer the real tool gives (no daemon, plugin enabled).
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Final

ROOT: Final = Path(__file__).resolve().parents[1]
# Inherited from an outer `make` or shell, these would change what the Makefile does.
MAKE_STATE: Final = ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "S", "COMPOSE", "MIGRATE_BIN")
RUN_TIMEOUT_S: Final = 60
# How the Makefile reads `.env`, run by this interpreter (it has honcho): a copied checkout has
# neither the script nor uv's project, and PATH is the test's own.
DOTENV_VALUE: Final = (
    f"{shlex.quote(sys.executable)} {shlex.quote(str(ROOT / 'scripts' / 'dotenv_value.py'))}"
)


def recording_stub(bin_dir: Path, name: str, calls: Path, body: str = "exit 0") -> Path:
    """An executable `bin_dir/name` that records its arguments in `calls`, then runs `body`."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    stub = bin_dir / name
    record = f"printf '%s\\n' \"{name} $*\" >> {shlex.quote(str(calls))}"
    stub.write_text(f"#!/usr/bin/env bash\n{record}\n{body}\n")
    stub.chmod(0o755)
    return stub


def recorded(calls: Path) -> list[str]:
    """The calls the stubs recorded, in order."""
    return calls.read_text().splitlines() if calls.exists() else []


def environ(path: str, **extra: str) -> dict[str, str]:
    """This process's environment with `path` as PATH, without the Makefile's inputs."""
    env = {k: v for k, v in os.environ.items() if k not in MAKE_STATE}
    return {**env, "PATH": path, "DOTENV_VALUE": DOTENV_VALUE, **extra}


def run_make(*args: str, env: Mapping[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", "--no-print-directory", *args],
        cwd=ROOT,
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_S,
        check=False,
    )
