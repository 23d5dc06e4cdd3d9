"""connect_and_declare: retries a broker that is not up, within a bounded budget."""

from __future__ import annotations

import socket
import time

import pytest
from aiormq.exceptions import AMQPConnectionError
from wallet_infra.consuming.startup import connect_and_declare
from wallet_infra.messaging.broker import make_broker


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


async def test_gives_up_with_the_last_error_once_the_budget_is_spent() -> None:
    broker = make_broker(f"amqp://guest:guest@127.0.0.1:{_closed_port()}/")
    started = time.monotonic()

    with pytest.raises(AMQPConnectionError):
        await connect_and_declare(broker, budget_s=1.0)

    assert 0.1 < time.monotonic() - started < 2.0  # it retried, and it stopped
