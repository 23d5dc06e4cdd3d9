"""Fixtures for the audit consumer's tests: its real `make_app`, under FastStream's
`TestRabbitBroker` with an in-memory audit log (unit), or on the real broker and
database (integration, marked)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import pytest_asyncio
from audit_consumer_testkit import InMemoryAuditProvider
from faststream.asgi import AsgiFastStream
from wallet_audit_consumer.main import make_app
from wallet_testkit.amqp import RabbitVhost, private_vhost
from wallet_testkit.consumer_fixtures import broker, publisher  # noqa: F401 - fixtures
from wallet_testkit.consumers import NoPause, live_settings, on_test_broker, started, unit_settings
from wallet_testkit.fakes.consumers import ConsumerStore


@pytest.fixture
def audit_store() -> ConsumerStore:
    return ConsumerStore()


@pytest_asyncio.fixture(loop_scope="session")
async def consumer(audit_store: ConsumerStore) -> AsyncIterator[AsgiFastStream]:
    """The app, started (startup hooks, subscriber) on a TestRabbitBroker."""
    app = make_app(InMemoryAuditProvider(audit_store), NoPause(), settings=unit_settings())
    async with on_test_broker(app):
        yield app


@pytest.fixture(scope="module")
def vhost(rabbit_control_and_url: tuple[Any, str]) -> Iterator[RabbitVhost]:
    """A virtual host of this module's own on the real broker (deleted after)."""
    with private_vhost(*rabbit_control_and_url, prefix="wallet-audit-test-") as created:
        yield created


@pytest_asyncio.fixture(loop_scope="session")
async def live_consumer(database_url: str, vhost: RabbitVhost) -> AsyncIterator[AsgiFastStream]:
    """The app with its real adapters, consuming from the real broker (in this process);
    failed deliveries go back at once: the poison test walks the whole delivery limit."""
    app = make_app(NoPause(), settings=live_settings(database_url, vhost.url))
    async with started(app):
        yield app
