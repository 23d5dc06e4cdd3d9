"""Fixtures for the webhook consumer's tests: its real `make_app` on the real broker (a
virtual host of the module's own) and database, and the API in-process (its gateway an
in-process mock) to make the payments the webhooks are about."""

from __future__ import annotations

import importlib
import sys

# With --import-mode=importlib pytest may register the mock_gateway/ *directory* as a
# namespace package, hiding the installed one (see mock_gateway/tests/conftest.py).
if getattr(sys.modules.get("mock_gateway"), "__file__", "") is None:
    sys.modules.pop("mock_gateway", None)
    importlib.import_module("mock_gateway")

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from faststream.asgi import AsgiFastStream
from wallet_api.main import make_app as make_api
from wallet_infra.config.api_keys import DEV_API_KEY
from wallet_infra.config.settings import Settings
from wallet_testkit.amqp import RabbitVhost
from wallet_testkit.api import Api, MockGatewayClientProvider, lifespan_client
from wallet_testkit.consumer_fixtures import live_consumer, publisher  # noqa: F401 - fixtures
from wallet_testkit.consumers import NoPause, live_settings
from wallet_testkit.webhooks import MOCK_HANG_S, QUICK_GATEWAY_SETTINGS
from wallet_webhook_consumer.main import make_app

from mock_gateway import Settings as MockGatewaySettings
from mock_gateway import create_app as create_mock_gateway


@pytest.fixture
def live_app(database_url: str, vhost: RabbitVhost) -> AsgiFastStream:
    """Its real adapters; failed deliveries go back at once: the poison test walks the
    whole delivery limit."""
    return make_app(NoPause(), settings=live_settings(database_url, vhost.url))


@pytest_asyncio.fixture(loop_scope="session")
async def api(database_url: str) -> AsyncIterator[Api]:
    settings = Settings.model_validate(
        {"database_url": database_url, "log_level": "warning", **QUICK_GATEWAY_SETTINGS}
    )
    mock = create_mock_gateway(MockGatewaySettings(hang_s=MOCK_HANG_S))
    app = make_api(MockGatewayClientProvider(mock), settings=settings)
    async with lifespan_client(app, api_key=DEV_API_KEY) as client:
        yield Api(client, app)
