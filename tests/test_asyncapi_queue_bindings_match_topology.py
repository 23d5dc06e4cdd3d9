"""docs/asyncapi.json is "the machine-readable form" of docs/events.md: a consumer team
generating from it must see every routing key each queue is bound to."""

from __future__ import annotations

import json
from pathlib import Path

from wallet_infra.messaging.topology import QUEUE_BINDINGS

ASYNCAPI = Path(__file__).resolve().parents[1] / "docs" / "asyncapi.json"


def test_asyncapi_shows_every_binding_of_the_work_queues() -> None:
    document = json.loads(ASYNCAPI.read_text())
    shown: dict[str, set[str]] = {}
    for channel in document["channels"].values():
        queue = channel.get("bindings", {}).get("amqp", {}).get("queue", {}).get("name")
        if queue in QUEUE_BINDINGS:
            shown.setdefault(queue, set()).add(channel["address"])
    assert shown == {name: set(keys) for name, keys in QUEUE_BINDINGS.items()}
