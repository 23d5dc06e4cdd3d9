"""connect_broker: retries a broker that is not up, within a bounded budget or until stopped."""

from __future__ import annotations

import asyncio
import socket

import pytest
from aiormq.exceptions import AMQPConnectionError
from structlog.testing import capture_logs
from wallet_infra.messaging.broker import make_broker
from wallet_infra.runtime.broker_connect import connect_broker, connect_broker_unless_stopped
from wallet_testkit.polling import eventually


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


async def test_gives_up_with_the_last_error_once_the_budget_is_spent() -> None:
    broker = make_broker(f"amqp://guest:guest@127.0.0.1:{_closed_port()}/")

    with capture_logs() as logs, pytest.raises(AMQPConnectionError):
        await connect_broker(broker, budget_s=1.0)

    retries = [e for e in logs if e["event"] == "rabbitmq_not_ready_retrying"]
    [gave_up] = [e for e in logs if e["event"] == "rabbitmq_unreachable_giving_up"]
    assert len(retries) > 1  # it retried,
    assert gave_up["attempts"] == len(retries)  # and every attempt failed before it gave up


async def test_without_a_budget_it_retries_until_stopped() -> None:
    broker = make_broker(f"amqp://guest:guest@127.0.0.1:{_closed_port()}/")
    stop = asyncio.Event()
    with capture_logs() as logs:
        connecting = asyncio.create_task(connect_broker_unless_stopped(broker, stop=stop))

        async def retried() -> bool:
            return sum(e["event"] == "rabbitmq_not_ready_retrying" for e in logs) >= 2

        await eventually(retried, timeout_s=5)
        assert not connecting.done()

        stop.set()

    assert await asyncio.wait_for(connecting, timeout=2.0) is False


async def test_a_broker_that_answers_is_connected_with_the_topology(amqp_url: str) -> None:
    broker = make_broker(amqp_url)
    try:
        assert await connect_broker_unless_stopped(broker, stop=asyncio.Event()) is True
        assert await broker.ping(timeout=2.0)
    finally:
        await broker.stop()
