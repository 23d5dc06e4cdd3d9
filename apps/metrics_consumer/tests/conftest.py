"""Fixtures for the metrics consumer's tests: its real `make_app`, under FastStream's
`TestRabbitBroker` with in-memory ports (unit), or on the real broker and database
(integration, marked)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import pytest_asyncio
from faststream import TestApp
from faststream.asgi import AsgiFastStream
from faststream.rabbit import RabbitBroker, TestRabbitBroker
from metrics_consumer_testkit import InboxStore, InMemoryInboxProvider, RabbitVhost
from wallet_infra.config.settings import Settings
from wallet_infra.messaging.broker import make_broker
from wallet_metrics_consumer.main import make_app


@pytest.fixture
def inbox_store() -> InboxStore:
    return InboxStore()


@pytest_asyncio.fixture(loop_scope="session")
async def consumer(inbox_store: InboxStore) -> AsyncIterator[AsgiFastStream]:
    """The app, started (startup hooks, subscriber) on a TestRabbitBroker."""
    settings = Settings.model_validate({"log_level": "warning"})
    app = make_app(InMemoryInboxProvider(inbox_store), settings=settings)
    async with TestRabbitBroker(_broker_of(app)), TestApp(app):
        yield app


@pytest.fixture
def broker(consumer: AsgiFastStream) -> RabbitBroker:
    return _broker_of(consumer)


def _broker_of(app: AsgiFastStream) -> RabbitBroker:
    broker = app.broker
    assert isinstance(broker, RabbitBroker)
    return broker


@pytest.fixture(scope="module")
def vhost(rabbit_control_and_url: tuple[Any, str]) -> Iterator[RabbitVhost]:
    """A virtual host of this module's own on the real broker (deleted after)."""
    control, base_url = rabbit_control_and_url
    if control is None:
        pytest.fail("the integration tests need `rabbitmqctl` to create a virtual host")
    created = RabbitVhost(control, base_url)
    created.create()
    try:
        yield created
    finally:
        created.delete()


@pytest_asyncio.fixture(loop_scope="session")
async def live_consumer(database_url: str, vhost: RabbitVhost) -> AsyncIterator[AsgiFastStream]:
    """The app with its real adapters, consuming from the real broker (in this process)."""
    settings = Settings.model_validate(
        {"database_url": database_url, "amqp_url": vhost.url, "log_level": "warning"}
    )
    app = make_app(settings=settings)
    async with TestApp(app):
        yield app


@pytest_asyncio.fixture(loop_scope="session")
async def publisher(vhost: RabbitVhost) -> AsyncIterator[RabbitBroker]:
    """A connected broker to publish test events with (persistent, as the relay does)."""
    broker = make_broker(vhost.url)
    await broker.connect()
    try:
        yield broker
    finally:
        await broker.stop()
