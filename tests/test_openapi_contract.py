"""docs/openapi.json is the API contract clients build against: it must be what the app
serves now. After a change to routes or schemas, regenerate it with `make openapi`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Final

import jsonschema_rs
from wallet_testkit.contract_docs import assert_committed_is_current, committed_document

ROOT: Final = Path(__file__).resolve().parents[1]


def test_committed_openapi_matches_the_app() -> None:
    assert_committed_is_current(ROOT, "openapi", source="make_app().openapi()")


def test_openapi_documents_every_route_and_the_api_key() -> None:
    document = committed_document(ROOT, "openapi")
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
    assert document["paths"]["/metrics"]["get"]["security"] == []  # no key
    pay = document["paths"]["/wallets/{user_id}/payments"]["post"]
    assert {"402", "409", "422", "502", "503", "504"} <= set(pay["responses"])
    key = next(p for p in pay["parameters"] if p["name"] == "Idempotency-Key")
    assert key["in"] == "header"
    assert key["required"] is True


def _patterns(node: object) -> Iterator[str]:
    if isinstance(node, dict):
        if isinstance(node.get("pattern"), str):
            yield node["pattern"]
        for value in node.values():
            yield from _patterns(value)
    elif isinstance(node, list):
        for value in node:
            yield from _patterns(value)


def test_every_pattern_is_a_regex_json_schema_validators_compile() -> None:
    """A validator that cannot compile a `pattern` drops it or refuses the whole schema
    (a surrogate range, which Python's `re` takes, is no regex to ECMA-262's `u` mode nor
    to Rust's): every pattern must compile in jsonschema_rs, as clients' tools read it."""
    document = committed_document(ROOT, "openapi")
    patterns = sorted(set(_patterns(document)))
    assert patterns
    for pattern in patterns:
        jsonschema_rs.validator_for({"type": "string", "pattern": pattern})  # raises if not
