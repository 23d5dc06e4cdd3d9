"""Fixtures for the metrics consumer's tests: its real `make_app`, under FastStream's
`TestRabbitBroker` with in-memory ports (unit), or on the real broker and database
(integration, marked). The fixtures that start it are `wallet_testkit.consumer_fixtures`';
this module says how the app is built."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import pytest
from faststream.asgi import AsgiFastStream
from metrics_consumer_testkit import InboxStore, InMemoryInboxProvider
from wallet_metrics_consumer.main import make_app
from wallet_testkit.amqp import RabbitVhost
from wallet_testkit.consumer_fixtures import broker, consumer, live_consumer, publisher  # noqa: F401
from wallet_testkit.consumers import NoPause, live_settings, unit_settings


@pytest.fixture
def inbox_store() -> InboxStore:
    return InboxStore()


@pytest.fixture
def unit_app(inbox_store: InboxStore) -> AsgiFastStream:
    return make_app(InMemoryInboxProvider(inbox_store), NoPause(), settings=unit_settings())


@pytest.fixture
def live_app(database_url: str, vhost: RabbitVhost) -> AsgiFastStream:
    """Its real adapters, with the production retry pause."""
    return make_app(settings=live_settings(database_url, vhost.url))
