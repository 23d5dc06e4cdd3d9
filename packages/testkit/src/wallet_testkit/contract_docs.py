"""The committed contract documents (docs/openapi.json, docs/asyncapi.json): settings
that ignore the caller's environment, the exporters' command line, and the tests' check
that the committed file is what the exporter renders now."""

from __future__ import annotations

import argparse
import difflib
import importlib.util
import json
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any, Final

from pydantic_settings import BaseSettings, PydanticBaseSettingsSource
from wallet_infra.config.settings import Settings

MAX_DIFF_LINES: Final = 60


class BuiltInDefaults(Settings):
    """Settings from init kwargs only: no env vars, no YAML file."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings,)


def export_main(
    argv: list[str] | None, doc: str, render: Callable[[], str], output: Path, make_target: str
) -> int:
    """An exporter's command line (its help: `doc`'s first line): write `output`, or with
    `--check` exit 1 if it is stale. `output` is `<repository root>/docs/<name>`."""
    root = output.parents[1]
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the file is stale")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        current = output.read_text(encoding="utf-8") if output.is_file() else ""
        if current != text:
            print(f"{output.relative_to(root)} is stale: run `make {make_target}`", file=sys.stderr)
            return 1
        return 0
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text, encoding="utf-8")
    print(f"wrote {output.relative_to(root)}")
    return 0


def load_script(path: Path) -> ModuleType:
    """A script (not on sys.path) imported from its file, under its stem."""
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def committed_document(root: Path, name: str) -> Any:
    """The committed `<root>/docs/<name>.json`, parsed."""
    return json.loads((root / "docs" / f"{name}.json").read_text(encoding="utf-8"))


def assert_committed_is_current(root: Path, name: str, *, source: str) -> None:
    """`<root>/docs/<name>.json` holds exactly what `scripts/export_<name>.py` renders now
    (from `source`); else fail with a (bounded) diff and how to regenerate it
    (`make <name>`)."""
    committed_path = root / "docs" / f"{name}.json"
    script = f"scripts/export_{name}.py"
    shown_name = f"docs/{name}.json"
    assert committed_path.is_file(), f"{shown_name} is missing: run `make {name}`"
    generated = load_script(root / script).render()
    committed = committed_path.read_text(encoding="utf-8")
    if committed != generated:
        diff = difflib.unified_diff(
            committed.splitlines(),
            generated.splitlines(),
            f"{shown_name} (committed)",
            f"{source} (now)",
            lineterm="",
        )
        shown = "\n".join(list(diff)[:MAX_DIFF_LINES])
        raise AssertionError(
            f"{shown_name} is stale: regenerate it with `make {name}` "
            f"(uv run python {script}) and commit it\n{shown}"
        )
