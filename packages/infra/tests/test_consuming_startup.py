"""connect_and_declare: retries a broker that is not up, within a bounded budget."""

from __future__ import annotations

import socket

import pytest
from aiormq.exceptions import AMQPConnectionError
from structlog.testing import capture_logs
from wallet_infra.consuming.startup import connect_and_declare
from wallet_infra.messaging.broker import make_broker


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


async def test_gives_up_with_the_last_error_once_the_budget_is_spent() -> None:
    broker = make_broker(f"amqp://guest:guest@127.0.0.1:{_closed_port()}/")

    with capture_logs() as logs, pytest.raises(AMQPConnectionError):
        await connect_and_declare(broker, budget_s=1.0)

    retries = [e for e in logs if e["event"] == "rabbitmq_not_ready_retrying"]
    [gave_up] = [e for e in logs if e["event"] == "rabbitmq_unreachable_giving_up"]
    assert retries  # it retried,
    assert sum(e["retry_in_s"] for e in retries) <= 1.0 + 0.01 * len(retries)  # in budget,
    assert gave_up["attempts"] == len(retries) + 1  # and stopped after one more attempt
