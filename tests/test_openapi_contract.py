"""docs/openapi.json is the API contract clients build against: it must be what the app
serves now. After a change to routes or schemas, regenerate it with `make openapi`."""

from __future__ import annotations

import difflib
import importlib.util
import json
from pathlib import Path
from types import ModuleType
from typing import Final

ROOT: Final = Path(__file__).resolve().parents[1]
EXPORTER: Final = ROOT / "scripts" / "export_openapi.py"
COMMITTED: Final = ROOT / "docs" / "openapi.json"
MAX_DIFF_LINES: Final = 60


def _exporter() -> ModuleType:
    spec = importlib.util.spec_from_file_location("export_openapi", EXPORTER)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_openapi_matches_the_app() -> None:
    assert COMMITTED.is_file(), "docs/openapi.json is missing: run `make openapi`"
    generated = _exporter().render()
    committed = COMMITTED.read_text(encoding="utf-8")
    if committed != generated:
        diff = difflib.unified_diff(
            committed.splitlines(),
            generated.splitlines(),
            "docs/openapi.json (committed)",
            "make_app().openapi() (now)",
            lineterm="",
        )
        shown = "\n".join(list(diff)[:MAX_DIFF_LINES])
        raise AssertionError(
            "docs/openapi.json is stale: regenerate it with `make openapi` "
            f"(uv run python scripts/export_openapi.py) and commit it\n{shown}"
        )


def test_openapi_documents_every_route_and_the_api_key() -> None:
    document = json.loads(COMMITTED.read_text(encoding="utf-8"))
    assert document["openapi"].startswith("3.")
    assert document["components"]["securitySchemes"]["ApiKey"] == {
        "type": "apiKey",
        "in": "header",
        "name": "X-API-Key",
    }
    operations = {
        (method.upper(), path) for path, item in document["paths"].items() for method in item
    }
    assert operations >= {
        ("POST", "/wallets"),
        ("POST", "/wallets/{user_id}/deposits"),
        ("POST", "/wallets/{user_id}/payments"),
        ("GET", "/wallets/{user_id}/payments/{payment_id}"),
        ("GET", "/wallets/{user_id}/balance"),
        ("GET", "/wallets/{user_id}/transactions"),
        ("GET", "/providers"),
        ("GET", "/healthz"),
        ("GET", "/readyz"),
        ("GET", "/metrics"),
    }
    pay = document["paths"]["/wallets/{user_id}/payments"]["post"]
    assert {"402", "409", "422", "502", "503", "504"} <= set(pay["responses"])
    key = next(p for p in pay["parameters"] if p["name"] == "Idempotency-Key")
    assert key["in"] == "header"
    assert key["required"] is True
