"""docs/asyncapi.json is the event contract consumers build against: it must be what the
relay's and consumers' FastStream brokers document now. After a change to the topology,
the subscribers or the event envelope, regenerate it with `make asyncapi`."""

from __future__ import annotations

from pathlib import Path
from typing import Final

from wallet_testkit.amqp import ENVELOPE_FIELDS
from wallet_testkit.contract_docs import assert_committed_is_current, committed_document

ROOT: Final = Path(__file__).resolve().parents[1]
ROUTING_KEYS: Final = {
    "payment.created",
    "payment.completed",
    "payment.failed",
    "refund.created",
    "deposit.completed",
}


def test_committed_asyncapi_matches_the_apps() -> None:
    assert_committed_is_current(ROOT, "asyncapi", source="the apps' brokers")


def test_asyncapi_documents_every_event_and_both_queues() -> None:
    document = committed_document(ROOT, "asyncapi")
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
