"""Write docs/openapi.json: the API's OpenAPI document exactly as the app serves it.

    uv run python scripts/export_openapi.py          # (re)write docs/openapi.json (make openapi)
    uv run python scripts/export_openapi.py --check  # exit 1 if the committed file is stale

Built from `wallet_api.main.make_app` with the built-in default settings only, so the
result does not depend on the caller's WALLET_* environment (the document lists the
configured currencies). tests/test_openapi_contract.py keeps the committed file current.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Final

from wallet_api.main import make_app
from wallet_testkit.contract_docs import BuiltInDefaults, export_main

ROOT: Final = Path(__file__).resolve().parent.parent
OUTPUT: Final = ROOT / "docs" / "openapi.json"


def render() -> str:
    """The document as committed: 2-space indented JSON, key order as FastAPI emits it."""
    document = make_app(settings=BuiltInDefaults()).openapi()
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    return export_main(argv, __doc__, render, OUTPUT, "openapi")


if __name__ == "__main__":
    sys.exit(main())
