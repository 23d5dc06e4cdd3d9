"""Fixtures for the audit consumer's tests: its real `make_app`, under FastStream's
`TestRabbitBroker` with an in-memory audit log (unit), or on the real broker and
database (integration, marked). The fixtures that start it are
`wallet_testkit.consumer_fixtures`'; this module says how the app is built."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import pytest
from audit_consumer_testkit import InMemoryAuditProvider
from faststream.asgi import AsgiFastStream
from wallet_audit_consumer.main import make_app
from wallet_testkit.amqp import RabbitVhost
from wallet_testkit.consumer_fixtures import broker, consumer, live_consumer, publisher  # noqa: F401
from wallet_testkit.consumers import NoPause, live_settings, unit_settings
from wallet_testkit.fakes.consumers import ConsumerStore


@pytest.fixture
def audit_store() -> ConsumerStore:
    return ConsumerStore()


@pytest.fixture
def unit_app(audit_store: ConsumerStore) -> AsgiFastStream:
    return make_app(InMemoryAuditProvider(audit_store), NoPause(), settings=unit_settings())


@pytest.fixture
def live_app(database_url: str, vhost: RabbitVhost) -> AsgiFastStream:
    """Its real adapters; failed deliveries go back at once: the poison test walks the
    whole delivery limit."""
    return make_app(NoPause(), settings=live_settings(database_url, vhost.url))
