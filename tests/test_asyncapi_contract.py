"""docs/asyncapi.json is the event contract consumers build against: it must be what the
relay's and consumers' FastStream brokers document now. After a change to the topology,
the subscribers or the event envelope, regenerate it with `make asyncapi`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Final

from wallet_testkit.amqp import ENVELOPE_FIELDS
from wallet_testkit.contract_docs import assert_committed_is_current, load_script

ROOT: Final = Path(__file__).resolve().parents[1]
EXPORTER: Final = ROOT / "scripts" / "export_asyncapi.py"
COMMITTED: Final = ROOT / "docs" / "asyncapi.json"
ROUTING_KEYS: Final = {
    "payment.created",
    "payment.completed",
    "payment.failed",
    "refund.created",
    "deposit.completed",
}


def test_committed_asyncapi_matches_the_apps() -> None:
    assert_committed_is_current(
        COMMITTED,
        load_script(EXPORTER).render(),
        name="docs/asyncapi.json",
        source="the apps' brokers",
        make_target="asyncapi",
        script="scripts/export_asyncapi.py",
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
    assert queues >= {"metrics.queue", "audit.queue", "webhooks.queue"}
    envelope = document["components"]["schemas"]["DomainEvent"]
    assert set(envelope["properties"]) == ENVELOPE_FIELDS
