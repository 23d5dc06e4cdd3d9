"""Fixtures for the API tests: the real `make_app` against the real PostgreSQL
(root conftest's `database_url`), with the gateway's HTTP client swapped for one that
talks to an in-process mock gateway through `httpx.ASGITransport`.

- `start_api(**settings)`: async context manager giving an `Api` over a fresh app with
  those settings (lifespan run); for tests that need special limits.
- `api`: one shared app with the default test settings (session scope: cheap tests).
- `mock_gateway_app`: the mock behind `api`.
- every >= 400 response of every API client is recorded and, at session end, checked for
  leaks (stack traces, SQL, driver text, API keys): `no_error_response_leaks`.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

# See mock_gateway/tests/conftest.py: with --import-mode=importlib pytest may register the
# mock_gateway/ *directory* as a namespace package, hiding the installed one.
if getattr(sys.modules.get("mock_gateway"), "__file__", "") is None:
    del sys.modules["mock_gateway"]
    importlib.import_module("mock_gateway")
sys.path.insert(0, str(Path(__file__).parent))

from collections.abc import AsyncIterator, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, Final

import pytest
import pytest_asyncio
from dishka import Provider
from fastapi import FastAPI
from wallet_api.main import make_app
from wallet_api_testkit import (
    SCOPED_KEY,
    SCOPED_USER,
    SERVICE_KEY,
    Api,
    MockGatewayClientProvider,
    StartApi,
    leaking_error_responses,
    record_error_response,
)
from wallet_infra.config.settings import Settings
from wallet_testkit.api import lifespan_client
from wallet_testkit.db import private_database

from mock_gateway import Settings as MockGatewaySettings
from mock_gateway import create_app as create_mock_gateway

REPO_ROOT: Final = Path(__file__).resolve().parents[3]
MOCK_HANG_S: Final = 0.3  # longer than one gateway attempt below, so hangs time out
TEST_SETTINGS: Final[dict[str, Any]] = {
    "api_keys": f"{SERVICE_KEY},{SCOPED_KEY}={SCOPED_USER}",
    "log_level": "warning",
    "db_pool_size": 10,
    "db_max_overflow": 20,
    "gateway_connect_timeout_s": 0.05,
    "gateway_attempt_timeout_s": 0.1,
    "gateway_max_attempts": 2,
    "gateway_retry_budget_s": 1.0,
    "gateway_backoff_initial_s": 0.01,
    "gateway_backoff_max_s": 0.02,
    "gateway_backoff_jitter_s": 0.0,
    "gateway_lookup_attempts": 2,
    # The worker would resolve other tests' PENDING rows behind their backs; tests drive
    # it explicitly (test_api_recovery.py).
    "recovery_enabled": False,
    # Likewise, hold expiry is driven explicitly (test_api_hold_expiry.py).
    "hold_expiry_enabled": False,
    # The shared app sees every test's failure modes in a row; the breaker and the rate
    # limit get their own apps (test_api_resilience_*.py).
    "gateway_breaker_failure_threshold": 1_000_000,
    "rate_limit_per_s": 0,
    # Every test client reaches the shared app from one address (httpx.ASGITransport's
    # 127.0.0.1), so the 401s of unrelated tests would add up to a 429 somewhere
    # (test_api_auth_throttle.py builds its own apps).
    "auth_failure_burst": 0,
}


@pytest.fixture(scope="session", autouse=True)
def no_error_response_leaks() -> Iterator[None]:
    """After the whole session: no error response leaked a stack trace, SQL, driver
    text or an API key."""
    yield
    leaks = leaking_error_responses()
    assert not leaks, f"{len(leaks)} leaking error responses: {leaks[:10]}"


def api_settings(dsn: str, **overrides: Any) -> Settings:
    """Validated directly (no env or YAML source), so the host's WALLET_* never leak in."""
    return Settings.model_validate({**TEST_SETTINGS, "database_url": dsn, **overrides})


@asynccontextmanager
async def running_api(
    settings: Settings, mock_app: FastAPI, *extra: Provider
) -> AsyncIterator[Api]:
    app = make_app(MockGatewayClientProvider(mock_app), *extra, settings=settings)
    hooks = {"response": [record_error_response]}
    async with lifespan_client(app, api_key=SERVICE_KEY, event_hooks=hooks) as client:
        yield Api(client, app)


@pytest.fixture(scope="session")
def mock_gateway_app() -> FastAPI:
    return create_mock_gateway(MockGatewaySettings(hang_s=MOCK_HANG_S))


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def api(database_url: str, mock_gateway_app: FastAPI) -> AsyncIterator[Api]:
    async with running_api(api_settings(database_url), mock_gateway_app) as started:
        yield started


@pytest.fixture
def start_api(database_url: str) -> StartApi:
    """`async with start_api(mock_hang_s=.., extra_providers=(..), **settings) as api:`."""

    def start(
        *,
        mock_hang_s: float = MOCK_HANG_S,
        mock_app: FastAPI | None = None,
        extra_providers: tuple[Provider, ...] = (),
        **overrides: Any,
    ) -> AbstractAsyncContextManager[Api]:
        if mock_app is None:
            mock_app = create_mock_gateway(MockGatewaySettings(hang_s=mock_hang_s))
        return running_api(api_settings(database_url, **overrides), mock_app, *extra_providers)

    return start


@pytest_asyncio.fixture(loop_scope="session")
async def own_database_url(database_url: str) -> AsyncIterator[str]:
    """A fresh migrated database for this test alone (dropped after): for jobs that sweep
    whole tables (recovery, purges), so a test can count exactly what they did.
    `start_api(database_url=own_database_url)` runs an app on it."""
    async with private_database(
        database_url, prefix="wallet_api_", migrations=REPO_ROOT / "migrations"
    ) as url:
        yield url
