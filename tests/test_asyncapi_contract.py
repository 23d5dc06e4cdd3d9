"""docs/asyncapi.json is the event contract consumers build against: it must be what the
relay's and consumers' FastStream brokers document now. After a change to the topology,
the subscribers or the event envelope, regenerate it with `make asyncapi`."""

from __future__ import annotations

import difflib
import importlib.util
import json
from pathlib import Path
from types import ModuleType
from typing import Final

ROOT: Final = Path(__file__).resolve().parents[1]
EXPORTER: Final = ROOT / "scripts" / "export_asyncapi.py"
COMMITTED: Final = ROOT / "docs" / "asyncapi.json"
MAX_DIFF_LINES: Final = 60
ROUTING_KEYS: Final = {
    "payment.created",
    "payment.completed",
    "payment.failed",
    "refund.created",
    "deposit.completed",
}


def _exporter() -> ModuleType:
    spec = importlib.util.spec_from_file_location("export_asyncapi", EXPORTER)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_asyncapi_matches_the_apps() -> None:
    assert COMMITTED.is_file(), "docs/asyncapi.json is missing: run `make asyncapi`"
    generated = _exporter().render()
    committed = COMMITTED.read_text(encoding="utf-8")
    if committed != generated:
        diff = difflib.unified_diff(
            committed.splitlines(),
            generated.splitlines(),
            "docs/asyncapi.json (committed)",
            "the apps' brokers (now)",
            lineterm="",
        )
        shown = "\n".join(list(diff)[:MAX_DIFF_LINES])
        raise AssertionError(
            "docs/asyncapi.json is stale: regenerate it with `make asyncapi` "
            f"(uv run python scripts/export_asyncapi.py) and commit it\n{shown}"
        )


def test_asyncapi_documents_every_event_and_both_queues() -> None:
    document = json.loads(COMMITTED.read_text(encoding="utf-8"))
    assert document["asyncapi"].startswith("3.")
    addresses = {channel["address"] for channel in document["channels"].values()}
    assert addresses >= ROUTING_KEYS
    queues = {
        channel["bindings"]["amqp"]["queue"]["name"]
        for channel in document["channels"].values()
        if channel.get("bindings", {}).get("amqp", {}).get("is") == "queue"
    }
    assert queues >= {"metrics.queue", "audit.queue"}
    envelope = document["components"]["schemas"]["DomainEvent"]
    assert set(envelope["properties"]) == {
        "event_id",
        "event_type",
        "occurred_at",
        "aggregate_id",
        "user_id",
        "schema_version",
        "payload",
    }
