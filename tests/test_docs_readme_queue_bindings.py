"""The README's architecture diagrams show each queue's bindings as the topology declares
them (`wallet_infra.messaging.topology.QUEUE_BINDINGS`)."""

from __future__ import annotations

import re

import pytest
from wallet_infra.messaging.topology import AUDIT_QUEUE_NAME, METRICS_QUEUE_NAME, QUEUE_BINDINGS

from .deploy_tools import ROOT

# `ex -- "payment.* transfer.*" --> mq[["metrics.queue"]]` or `--> mq` (node defined before)
EDGE = re.compile(r'ex -- "([^"]+)" --> (mq|aq)\b')
NODE = {"mq": METRICS_QUEUE_NAME, "aq": AUDIT_QUEUE_NAME}


def diagram_edges() -> list[tuple[int, str, set[str]]]:
    found = []
    for number, line in enumerate((ROOT / "README.md").read_text().splitlines(), start=1):
        if match := EDGE.search(line):
            found.append((number, NODE[match[2]], set(match[1].split())))
    return found


def test_the_diagrams_have_binding_edges() -> None:
    assert len(diagram_edges()) >= 4


@pytest.mark.parametrize(("line", "queue", "keys"), diagram_edges())
def test_each_binding_edge_matches_the_topology(line: int, queue: str, keys: set[str]) -> None:
    assert keys == set(QUEUE_BINDINGS[queue]), f"README.md:{line} {queue}"
