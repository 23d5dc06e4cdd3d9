"""compose.yaml read the way Compose reads it, without Compose or a Docker engine.

Enough of the Compose spec for contract tests of what a service is given: YAML anchors and
`<<` merges (PyYAML's safe loader), `${VAR}`, `${VAR:-default}`, `${VAR-default}` and `$$`
interpolated from an explicit environment (never this process's, nor a `.env`), and
services under a profile left out unless it is switched on. Any other interpolation form
fails the test instead of being read wrong.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Final

import pytest
import yaml

_VARIABLE: Final = re.compile(
    r"\$(?:(?P<escaped>\$)|\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?-)(?P<default>[^}]*))?\})"
)


def _interpolate(value: Any, environ: Mapping[str, str]) -> Any:
    if isinstance(value, dict):
        return {key: _interpolate(item, environ) for key, item in value.items()}
    if isinstance(value, list):
        return [_interpolate(item, environ) for item in value]
    if not isinstance(value, str):
        return value

    def substitute(match: re.Match[str]) -> str:
        if match["escaped"]:
            return "$"
        name, op = match["name"], match["op"]
        if op == ":-" and not environ.get(name):
            return str(match["default"])
        if op == "-" and name not in environ:
            return str(match["default"])
        return environ.get(name, "")

    interpolated = _VARIABLE.sub(substitute, value)
    leftover = _VARIABLE.sub("", value)
    if "$" in leftover:
        pytest.fail(f"an interpolation these tests do not read: {value!r}")
    return interpolated


def compose_services(
    path: Path, *, environ: Mapping[str, str], profiles: Iterable[str] = ()
) -> dict[str, Any]:
    """The services of the Compose file at `path` with `profiles` on, interpolated from
    `environ` only."""
    document = yaml.safe_load(path.read_text())
    active = set(profiles)
    services: dict[str, Any] = _interpolate(document["services"], environ)
    return {
        name: service
        for name, service in services.items()
        if not service.get("profiles") or active & set(service["profiles"])
    }
