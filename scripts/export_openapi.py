"""Write docs/openapi.json: the API's OpenAPI document exactly as the app serves it.

    uv run python scripts/export_openapi.py          # (re)write docs/openapi.json (make openapi)
    uv run python scripts/export_openapi.py --check  # exit 1 if the committed file is stale

Built from `wallet_api.main.make_app` with the built-in default settings only, so the
result does not depend on the caller's WALLET_* environment (the document lists the
configured currencies). tests/test_openapi_contract.py keeps the committed file current.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Final

from pydantic_settings import BaseSettings, PydanticBaseSettingsSource
from wallet_api.main import make_app
from wallet_infra.config.settings import Settings

ROOT: Final = Path(__file__).resolve().parent.parent
OUTPUT: Final = ROOT / "docs" / "openapi.json"


class _BuiltInDefaults(Settings):
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


def render() -> str:
    """The document as committed: 2-space indented JSON, key order as FastAPI emits it."""
    document = make_app(settings=_BuiltInDefaults()).openapi()
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the file is stale")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        current = OUTPUT.read_text(encoding="utf-8") if OUTPUT.is_file() else ""
        if current != text:
            print(f"{OUTPUT.relative_to(ROOT)} is stale: run `make openapi`", file=sys.stderr)
            return 1
        return 0
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUTPUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
