"""docs/openapi.json is the API contract clients build against: it must be what the app
serves now. After a change to routes or schemas, regenerate it with `make openapi`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Final

from wallet_testkit.contract_docs import assert_committed_is_current, load_script

ROOT: Final = Path(__file__).resolve().parents[1]
EXPORTER: Final = ROOT / "scripts" / "export_openapi.py"
COMMITTED: Final = ROOT / "docs" / "openapi.json"


def test_committed_openapi_matches_the_app() -> None:
    assert_committed_is_current(
        COMMITTED,
        load_script(EXPORTER).render(),
        name="docs/openapi.json",
        source="make_app().openapi()",
        make_target="openapi",
        script="scripts/export_openapi.py",
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
    }
    assert "/metrics" not in document["paths"], "served on the metrics port by default"
    pay = document["paths"]["/wallets/{user_id}/payments"]["post"]
    assert {"402", "409", "422", "502", "503", "504"} <= set(pay["responses"])
    key = next(p for p in pay["parameters"] if p["name"] == "Idempotency-Key")
    assert key["in"] == "header"
    assert key["required"] is True
