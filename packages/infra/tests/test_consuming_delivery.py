"""The consumers' delivery helpers: retry pause, delivery count, trace id."""

from __future__ import annotations

from typing import Any

import pytest
from faststream.message import StreamMessage
from wallet_infra.consuming.delivery import RetryPause, earlier_deliveries, trace_id


def message(**headers: Any) -> StreamMessage[Any]:
    return StreamMessage(raw_message=None, body=b"", headers=headers)


def test_the_pause_doubles_per_earlier_delivery_up_to_its_ceiling() -> None:
    pause = RetryPause(first_s=0.1, max_s=1.0)

    assert [pause.seconds(n) for n in range(6)] == pytest.approx([0.1, 0.2, 0.4, 0.8, 1.0, 1.0])
    assert pause.seconds(10_000) == 1.0


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({}, 0),
        ({"x-delivery-count": 3}, 3),
        ({"x-delivery-count": "3"}, 0),
        ({"x-delivery-count": -1}, 0),
    ],
)
def test_earlier_deliveries_come_from_the_quorum_queue_header(
    headers: dict[str, Any], expected: int
) -> None:
    assert earlier_deliveries(message(**headers)) == expected


def test_the_trace_id_comes_from_a_w3c_traceparent() -> None:
    traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

    assert trace_id(message(traceparent=traceparent)) == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert trace_id(message(traceparent="garbage")) is None
    assert trace_id(message()) is None
