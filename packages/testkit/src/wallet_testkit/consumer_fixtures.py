"""Pytest fixtures every event consumer's tests share. A consumer's conftest imports them
(`from wallet_testkit.consumer_fixtures import broker, consumer, live_consumer, publisher`)
and defines only how its app is built: `unit_app` (in-memory ports, `unit_settings()`) and
`live_app` (its real adapters, `live_settings(database_url, vhost.url)`). The `vhost` is
the root conftest's: one of the test module's own on the real broker.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from faststream.asgi import AsgiFastStream
from faststream.rabbit import RabbitBroker

from wallet_testkit.amqp import RabbitVhost, connected_broker
from wallet_testkit.consumers import broker_of, on_test_broker, started


@pytest_asyncio.fixture(loop_scope="session")
async def consumer(unit_app: AsgiFastStream) -> AsyncIterator[AsgiFastStream]:
    """The `unit_app`, started (startup hooks, subscriber) on a TestRabbitBroker."""
    async with on_test_broker(unit_app):
        yield unit_app


@pytest.fixture
def broker(consumer: AsgiFastStream) -> RabbitBroker:
    """The `consumer` app's (test) broker, to publish to."""
    return broker_of(consumer)


@pytest_asyncio.fixture(loop_scope="session")
async def live_consumer(live_app: AsgiFastStream) -> AsyncIterator[AsgiFastStream]:
    """The `live_app`, consuming from the real broker (in this process)."""
    async with started(live_app):
        yield live_app


@pytest_asyncio.fixture(loop_scope="session")
async def publisher(vhost: RabbitVhost) -> AsyncIterator[RabbitBroker]:
    """A connected broker to publish test events with (persistent, as the relay does)."""
    async with connected_broker(vhost.url) as broker:
        yield broker
