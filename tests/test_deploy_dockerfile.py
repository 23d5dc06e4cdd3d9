"""Dockerfile contract, checked without a Docker engine: hadolint finds nothing (not even
style notes), and the structure the build relies on holds: locked dependencies are a
layer of their own before any source is copied, every workspace member's pyproject is in
that layer, the runtime is slim Python 3.11 as a non-root user with a HEALTHCHECK, and
the default command is the API."""

from __future__ import annotations

import json
import re
import tomllib
from typing import Final

from .deploy_tools import ROOT, run_tool

DOCKERFILE: Final = ROOT / "Dockerfile"
DOCKERIGNORE: Final = ROOT / ".dockerignore"


def _instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) per logical line, continuations joined."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    result = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            keyword, _, rest = stripped.partition(" ")
            result.append((keyword.upper(), rest.strip()))
    return result


def _final_stage() -> list[tuple[str, str]]:
    instructions = _instructions()
    last_from = max(i for i, (keyword, _) in enumerate(instructions) if keyword == "FROM")
    return instructions[last_from:]


def test_hadolint_reports_nothing() -> None:
    done = run_tool("hadolint", "--format", "json", "--failure-threshold", "style", "Dockerfile")
    findings = json.loads(done.stdout or "[]")
    assert findings == [], "\n".join(
        f"Dockerfile:{f['line']} {f['code']} {f['level']}: {f['message']}" for f in findings
    )
    assert done.returncode == 0, done.stderr


def test_dependencies_are_installed_before_the_sources_are_copied() -> None:
    instructions = _instructions()
    runs = [i for i, (keyword, args) in enumerate(instructions) if keyword == "RUN"]
    deps = next(i for i in runs if "--no-install-workspace" in instructions[i][1])
    assert "uv sync --frozen" in instructions[deps][1]
    assert "--no-dev" in instructions[deps][1]
    copied_before = " ".join(a for k, a in instructions[:deps] if k == "COPY")
    assert "uv.lock" in copied_before
    members = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["uv"]["workspace"]
    for member in members["members"]:
        assert f"{member}/pyproject.toml" in copied_before, f"{member} missing from the deps layer"
    for source in ("packages/", "apps/", "mock_gateway/"):
        copy = next(
            i for i, (k, a) in enumerate(instructions) if k == "COPY" and source in a.split()[:-1]
        )
        assert copy > deps, f"{source} is copied before the dependency layer"
    full_sync = [i for i in runs if i > deps and "uv sync --frozen" in instructions[i][1]]
    assert full_sync, "no `uv sync` installs the workspace after the sources are copied"


def test_runtime_is_slim_python_non_root_with_a_healthcheck() -> None:
    stage = _final_stage()
    base = stage[0][1].split()[0]
    assert re.fullmatch(r"python:3\.11[\w.-]*-slim[\w.-]*", base), base
    users = [args for keyword, args in stage if keyword == "USER"]
    assert users, "the runtime stage runs as root"
    assert users[-1].split(":")[0] not in ("root", "0")
    healthchecks = [args for keyword, args in stage if keyword == "HEALTHCHECK"]
    assert len(healthchecks) == 1
    assert "HEALTH_PORT" in healthchecks[0]
    assert ("CMD", '["wallet-api"]') in stage


def test_dockerignore_keeps_local_state_out_of_the_context() -> None:
    ignored = {line.strip() for line in DOCKERIGNORE.read_text().splitlines()}
    assert {".git", ".venv", ".env"} <= ignored
