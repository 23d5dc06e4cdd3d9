"""The fixtures every test directory of the workspace shares; wiring only (the helpers
are in `wallet_testkit`: `db`, `containers`, `broker_control`, `logging_state`).

The database comes from `WALLET_TEST_DATABASE_URL` if set, else from a throwaway
testcontainers PostgreSQL if a Docker engine answers; otherwise tests that need it fail
(never skip) with a message naming the variable. The schema is brought to the latest
version with the real `migrate` CLI, exactly as deployments do.

Tests share one database and isolate by data, not by truncation: each uses fresh
user_ids (the `user_id` fixture), so tests are order-independent and may run together.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Final
from uuid import uuid4

import pytest
import pytest_asyncio

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
    from wallet_testkit.amqp import RabbitVhost
    from wallet_testkit.broker_control import BrokerOutage, RabbitControl
    from wallet_testkit.logging_state import SavedLoggers

ROOT: Final = Path(__file__).resolve().parent
MIGRATIONS_DIR: Final = ROOT / "migrations"
DATABASE_URL_ENV: Final = "WALLET_TEST_DATABASE_URL"
TEST_STATEMENT_TIMEOUT_MS: Final = 60_000


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    """A `postgresql://` DSN of a database migrated to the latest schema version."""
    from wallet_testkit.containers import docker_reachable, postgres_container
    from wallet_testkit.db import migrate_up, plain_url

    configured = os.environ.get(DATABASE_URL_ENV)
    if configured:
        url = plain_url(configured)
        migrate_up(url, MIGRATIONS_DIR)
        yield url
        return
    if not docker_reachable():
        pytest.fail(
            f"no test database: set {DATABASE_URL_ENV}=postgresql://user:pass@host:5432/db "
            "(a PostgreSQL 15+ the tests may migrate and write to) or start a Docker engine "
            "so testcontainers can run one"
        )
    with postgres_container() as container_url:
        url = plain_url(container_url)
        migrate_up(url, MIGRATIONS_DIR)
        yield url


@pytest.fixture(scope="session")
def replica_url(database_url: str) -> str:
    """The test database as a streaming replica of the test server serves it (see
    `wallet_testkit.replica.replica_test_url`: skipped without one, failed under CI)."""
    from wallet_testkit.replica import replica_test_url

    return replica_test_url(database_url)


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    """The infra engine, one pool for the whole run (big enough for concurrency tests)."""
    from wallet_infra.persistence.engine import make_engine

    engine = make_engine(
        database_url,
        pool_size=10,
        max_overflow=50,
        statement_timeout_ms=TEST_STATEMENT_TIMEOUT_MS,
        application_name="wallet-tests",
    )
    yield engine
    await engine.dispose()


@pytest.fixture(scope="session")
def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    from wallet_infra.persistence.engine import make_session_factory

    return make_session_factory(engine)


@pytest_asyncio.fixture(loop_scope="session")
async def session(
    session_factory: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncSession]:
    """One session for a test; whatever the test did not commit is rolled back."""
    async with session_factory() as session:
        yield session


@pytest.fixture
def user_id() -> str:
    """A user_id no other test uses."""
    return f"u-{uuid4().hex[:12]}"


# --------------------------------------------------------------------------- markers
#
# A test that needs PostgreSQL or RabbitMQ is marked `integration` by the fixtures it uses
# (directly or through others: every database fixture depends on `database_url`, every
# broker fixture on `rabbit_control_and_url`), so `pytest -m "not integration"` is a run
# with no services that cannot forget a test. A test reaching a service some other way
# carries the mark itself.
#
# A test using `broker_outage` stops RabbitMQ for every client of the host: it is marked
# `broker_outage` and runs after every other test of the session, so nothing of this
# session uses the broker meanwhile (`-m "not broker_outage"` leaves them out).

SERVICE_FIXTURES: Final = frozenset({"database_url", "rabbit_control_and_url"})
OUTAGE_FIXTURE: Final = "broker_outage"


@pytest.hookimpl(tryfirst=True)  # before `-m` selects on the marks
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        if fixtures & SERVICE_FIXTURES:
            item.add_marker(pytest.mark.integration)
        if OUTAGE_FIXTURE in fixtures:
            item.add_marker(pytest.mark.broker_outage)
    # Stable: every other test keeps its order, the outage tests go last in theirs.
    items.sort(key=lambda item: item.get_closest_marker(OUTAGE_FIXTURE) is not None)


# --------------------------------------------------------------------------- RabbitMQ
#
# The broker comes from `WALLET_TEST_AMQP_URL` if set, else from a throwaway RabbitMQ
# container if a Docker engine answers; otherwise tests that need it fail (never skip).
# Each session gets a virtual host of its own (when `rabbitmqctl` can reach the node), so
# concurrent sessions on one machine never consume each other's messages.

AMQP_URL_ENV: Final = "WALLET_TEST_AMQP_URL"


@pytest.fixture(scope="session")
def rabbit_control_and_url() -> Iterator[tuple[RabbitControl | None, str]]:
    """The broker's control (None if unreachable) and its base URL (default vhost)."""
    from wallet_testkit.broker_control import RabbitControl, wait_for_amqp
    from wallet_testkit.containers import docker_reachable, rabbitmq_container

    configured = os.environ.get(AMQP_URL_ENV)
    if configured:
        yield RabbitControl.local(), configured
        return
    if not docker_reachable():
        pytest.fail(
            f"no test broker: set {AMQP_URL_ENV}=amqp://user:pass@host:5672/ (a RabbitMQ "
            "3.10+ the tests may declare queues on) or start a Docker engine so "
            "testcontainers can run one"
        )
    with rabbitmq_container() as (url, rabbitmqctl):
        wait_for_amqp(url)
        yield RabbitControl(rabbitmqctl), url


@pytest.fixture(scope="session")
def amqp_url(rabbit_control_and_url: tuple[RabbitControl | None, str]) -> Iterator[str]:
    """An `amqp://` URL on a virtual host created for this test session (deleted after)."""
    from wallet_testkit.amqp import amqp_user, with_vhost

    control, base_url = rabbit_control_and_url
    if control is None:
        yield base_url
        return
    vhost = f"wallet-test-{uuid4().hex[:12]}"
    control("add_vhost", vhost)
    try:
        control("set_permissions", "-p", vhost, amqp_user(base_url), ".*", ".*", ".*")
        yield with_vhost(base_url, vhost)
    finally:
        control("delete_vhost", vhost)


@pytest.fixture
def broker_outage(
    rabbit_control_and_url: tuple[RabbitControl | None, str], amqp_url: str
) -> Iterator[BrokerOutage]:
    """Stop/start the broker from a test; it is always running again afterwards."""
    from wallet_testkit.broker_control import BrokerOutage

    control, _ = rabbit_control_and_url
    if control is None:
        pytest.fail("stopping the broker needs `rabbitmqctl` (on this host or in the container)")
    outage = BrokerOutage(control, amqp_url)
    try:
        yield outage
    finally:
        outage.start()  # idempotent: start_app on a running node is a no-op


@pytest.fixture(scope="module")
def vhost(
    request: pytest.FixtureRequest, rabbit_control_and_url: tuple[RabbitControl | None, str]
) -> Iterator[RabbitVhost]:
    """A virtual host of the requesting module's own on the real broker (named after the
    module, deleted after)."""
    from wallet_testkit.amqp import private_vhost

    prefix = f"wallet-{request.path.stem.removeprefix('test_').replace('_', '-')}-"
    with private_vhost(*rabbit_control_and_url, prefix=prefix) as created:
        yield created


# --------------------------------------------------------------------------- private database


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def private_database_url(database_url: str) -> AsyncIterator[str]:
    """A fresh database of this session's own, migrated to the latest version, on the
    test server. For tests that run processes draining whole tables (the outbox relay
    claims every unsent row), so they neither see nor change other tests' rows."""
    from wallet_testkit.db import private_database

    async with private_database(
        database_url, prefix="wallet_test_", migrations=MIGRATIONS_DIR
    ) as url:
        yield url


# --------------------------------------------------------------------------- logging
# Every test starts and ends with the logging state the session started with (see
# `wallet_testkit.logging_state` for why).


@pytest.fixture(scope="session", autouse=True)
def _session_logging() -> Iterator[SavedLoggers]:
    from wallet_testkit.logging_state import uncached_structlog

    with uncached_structlog() as saved:
        yield saved


@pytest.fixture(autouse=True)
def _pristine_logging(_session_logging: SavedLoggers) -> Iterator[None]:
    """Before the test too, as wider-scoped fixtures are set up first: an app a session
    fixture builds would otherwise configure logging for whichever test sets it up."""
    from wallet_testkit.logging_state import restore_logging

    restore_logging(_session_logging)
    yield
    restore_logging(_session_logging)
