"""Pytest fixtures every event consumer's tests share. A consumer's conftest imports them
(`from wallet_testkit.consumer_fixtures import broker, publisher`) and defines what is its
own: `consumer` (its app on `TestRabbitBroker`), `vhost` (a `private_vhost` on the real
broker) and `live_consumer` (its app on the real broker, in that `vhost`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from faststream.asgi import AsgiFastStream
from faststream.rabbit import RabbitBroker

from wallet_testkit.amqp import RabbitVhost, connected_broker
from wallet_testkit.consumers import broker_of


@pytest.fixture
def broker(consumer: AsgiFastStream) -> RabbitBroker:
    """The `consumer` app's (test) broker, to publish to."""
    return broker_of(consumer)


@pytest_asyncio.fixture(loop_scope="session")
async def publisher(vhost: RabbitVhost) -> AsyncIterator[RabbitBroker]:
    """A connected broker to publish test events with (persistent, as the relay does)."""
    async with connected_broker(vhost.url) as broker:
        yield broker
