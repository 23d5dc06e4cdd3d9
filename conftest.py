"""Shared PostgreSQL test harness for every test directory of the workspace.

The database comes from `WALLET_TEST_DATABASE_URL` if set, else from a throwaway
testcontainers PostgreSQL if a Docker engine answers; otherwise tests that need it fail
(never skip) with a message naming the variable. The schema is brought to the latest
version with the real `migrate` CLI, exactly as deployments do.

Tests share one database and isolate by data, not by truncation: each uses fresh
user_ids (the `user_id` fixture), so tests are order-independent and may run together.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final
from uuid import uuid4

import pytest
import pytest_asyncio

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

ROOT: Final = Path(__file__).resolve().parent
MIGRATIONS_DIR: Final = ROOT / "migrations"
DATABASE_URL_ENV: Final = "WALLET_TEST_DATABASE_URL"
POSTGRES_IMAGE: Final = "postgres:15-alpine"
MIGRATE_TIMEOUT_S: Final = 120
TEST_STATEMENT_TIMEOUT_MS: Final = 60_000


def _docker_reachable() -> bool:
    try:
        import docker  # type: ignore[import-untyped]

        client = docker.from_env(timeout=3)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except Exception:
        return False


def _plain_url(dsn: str, **query: str) -> str:
    """`dsn` as a driverless `postgresql://` URL (what both migrate and the app take)."""
    from sqlalchemy.engine import make_url

    url = make_url(dsn.replace("postgres://", "postgresql://", 1)).set(drivername="postgresql")
    extra = {k: v for k, v in query.items() if k not in url.query}
    return url.update_query_dict(extra).render_as_string(hide_password=False)


def _migrate_binary() -> str:
    found = shutil.which("migrate") or str(Path.home() / "go" / "bin" / "migrate")
    if not Path(found).is_file():
        pytest.fail("the golang-migrate `migrate` CLI is not on PATH nor in ~/go/bin")
    return found


def _migrate_up(dsn: str) -> None:
    from sqlalchemy.engine import make_url

    command = [_migrate_binary(), "-path", str(MIGRATIONS_DIR)]
    command += ["-database", _plain_url(dsn, sslmode="disable"), "up"]
    done = subprocess.run(  # noqa: S603 - fixed binary, our own arguments
        command, capture_output=True, text=True, timeout=MIGRATE_TIMEOUT_S, check=False
    )
    if done.returncode != 0:
        shown = make_url(dsn).render_as_string(hide_password=True)
        pytest.fail(f"`migrate up` failed on {shown}:\n{done.stderr.strip()}")


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    """A `postgresql://` DSN of a database migrated to the latest schema version."""
    configured = os.environ.get(DATABASE_URL_ENV)
    if configured:
        url = _plain_url(configured)
        _migrate_up(url)
        yield url
        return
    if not _docker_reachable():
        pytest.fail(
            f"no test database: set {DATABASE_URL_ENV}=postgresql://user:pass@host:5432/db "
            "(a PostgreSQL 15+ the tests may migrate and write to) or start a Docker engine "
            "so testcontainers can run one"
        )
    from testcontainers.community.postgres import PostgresContainer

    with PostgresContainer(POSTGRES_IMAGE, driver=None) as container:
        url = _plain_url(container.get_connection_url())
        _migrate_up(url)
        yield url


REPLICA_URL_ENV: Final = "WALLET_TEST_REPLICA_URL"


@pytest.fixture(scope="session")
def replica_url(database_url: str) -> str:
    """The test database as a streaming replica of the test server serves it.

    From `WALLET_TEST_REPLICA_URL` (its database part is replaced by the test database's).
    Unset: the test is skipped with the reason, except under CI (`CI` set), where it fails:
    `bash .ci/run` always makes one. Set but not a standby: the test fails.
    """
    import asyncio

    from sqlalchemy.engine import make_url
    from wallet_testkit.db import fetch

    configured = os.environ.get(REPLICA_URL_ENV)
    if not configured:
        reason = (
            f"no read replica: set {REPLICA_URL_ENV}=postgresql://user:pass@host:5433/db (a "
            "streaming replica of the test server; `bash .ci/run` makes one on port 5433)"
        )
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    database = make_url(database_url).database
    url = make_url(_plain_url(configured)).set(database=database)
    rendered = url.render_as_string(hide_password=False)
    try:
        standby = asyncio.run(fetch(rendered, "SELECT pg_is_in_recovery()"))[0][0]
    except Exception as error:
        pytest.fail(f"{REPLICA_URL_ENV} does not answer: {type(error).__name__}")
    if not standby:
        pytest.fail(f"{REPLICA_URL_ENV} names a server that is not a standby")
    return rendered


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
RABBITMQ_IMAGE: Final = "rabbitmq:3.13-alpine"
RABBITMQCTL_TIMEOUT_S: Final = 120
AMQP_READY_TIMEOUT_S: Final = 90.0


class RabbitControl:
    """Runs `rabbitmqctl` against the test broker's node: on this host, or in its container."""

    def __init__(self, command_prefix: list[str]) -> None:
        self._prefix = command_prefix

    def __call__(self, *args: str) -> str:
        done = subprocess.run(  # noqa: S603 - fixed binary, our own arguments
            [*self._prefix, *args],
            capture_output=True,
            text=True,
            timeout=RABBITMQCTL_TIMEOUT_S,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"rabbitmqctl {' '.join(args)} failed: {done.stderr.strip()}")
        return done.stdout

    @classmethod
    def local(cls) -> RabbitControl | None:
        """`rabbitmqctl` on this host, if it is installed and reaches a running node."""
        binary = shutil.which("rabbitmqctl")
        if binary is None:
            return None
        control = cls([binary, "-q"])
        try:
            control("status")
        except (RuntimeError, OSError, subprocess.TimeoutExpired):
            return None
        return control


def _with_vhost(url: str, vhost: str) -> str:
    from urllib.parse import quote, urlsplit, urlunsplit

    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + quote(vhost, safe="")))


def _wait_for_amqp(url: str, timeout_s: float = AMQP_READY_TIMEOUT_S) -> None:
    """Block until an AMQP connection to `url` opens (a TCP accept is not enough).

    Callable from async tests too: the probe runs its own event loop in a worker thread.
    """
    import asyncio
    import time
    from concurrent.futures import ThreadPoolExecutor

    import aio_pika

    async def attempt() -> None:
        connection = await aio_pika.connect(url, timeout=5)
        await connection.close()

    deadline = time.monotonic() + timeout_s
    with ThreadPoolExecutor(max_workers=1) as worker:
        while True:
            try:
                worker.submit(asyncio.run, attempt()).result()
                return
            except Exception as error:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"RabbitMQ did not answer within {timeout_s}s") from error
                time.sleep(0.5)


@pytest.fixture(scope="session")
def rabbit_control_and_url() -> Iterator[tuple[RabbitControl | None, str]]:
    """The broker's control (None if unreachable) and its base URL (default vhost)."""
    configured = os.environ.get(AMQP_URL_ENV)
    if configured:
        yield RabbitControl.local(), configured
        return
    if not _docker_reachable():
        pytest.fail(
            f"no test broker: set {AMQP_URL_ENV}=amqp://user:pass@host:5672/ (a RabbitMQ "
            "3.10+ the tests may declare queues on) or start a Docker engine so "
            "testcontainers can run one"
        )
    from testcontainers.core.container import DockerContainer

    with DockerContainer(RABBITMQ_IMAGE).with_exposed_ports(5672) as container:
        host = container.get_container_host_ip()
        url = f"amqp://guest:guest@{host}:{container.get_exposed_port(5672)}/"
        _wait_for_amqp(url)
        control = RabbitControl(["docker", "exec", container.get_wrapped_container().id,
                                 "rabbitmqctl", "-q"])  # fmt: skip
        yield control, url


@pytest.fixture(scope="session")
def amqp_url(rabbit_control_and_url: tuple[RabbitControl | None, str]) -> Iterator[str]:
    """An `amqp://` URL on a virtual host created for this test session (deleted after)."""
    control, base_url = rabbit_control_and_url
    if control is None:
        yield base_url
        return
    vhost = f"wallet-test-{uuid4().hex[:12]}"
    control("add_vhost", vhost)
    try:
        user = _amqp_user(base_url)
        control("set_permissions", "-p", vhost, user, ".*", ".*", ".*")
        yield _with_vhost(base_url, vhost)
    finally:
        control("delete_vhost", vhost)


def _amqp_user(url: str) -> str:
    from urllib.parse import unquote, urlsplit

    return unquote(urlsplit(url).username or "guest")


class BrokerOutage:
    """Stops RabbitMQ's application (the node stays up) and starts it again.

    This takes the broker away from every client on the machine, other test sessions
    included: keep the window short.
    """

    def __init__(self, control: RabbitControl, url: str) -> None:
        self._control = control
        self._url = url

    def stop(self) -> None:
        self._control("stop_app")

    def start(self) -> None:
        self._control("start_app")
        self._control("await_startup")
        _wait_for_amqp(self._url)


@pytest.fixture
def broker_outage(
    rabbit_control_and_url: tuple[RabbitControl | None, str], amqp_url: str
) -> Iterator[BrokerOutage]:
    """Stop/start the broker from a test; it is always running again afterwards."""
    control, _ = rabbit_control_and_url
    if control is None:
        pytest.fail("stopping the broker needs `rabbitmqctl` (on this host or in the container)")
    outage = BrokerOutage(control, amqp_url)
    try:
        yield outage
    finally:
        outage.start()  # idempotent: start_app on a running node is a no-op


# --------------------------------------------------------------------------- private database


@pytest.fixture(scope="session")
def private_database_url(database_url: str) -> Iterator[str]:
    """A fresh database of this session's own, migrated to the latest version, on the
    test server. For tests that run processes draining whole tables (the outbox relay
    claims every unsent row), so they neither see nor change other tests' rows."""
    import asyncio

    import asyncpg  # type: ignore[import-untyped]
    from sqlalchemy.engine import make_url

    name = f"wallet_test_{uuid4().hex[:12]}"
    admin = _plain_url(database_url, sslmode="disable")

    async def admin_execute(statement: str) -> None:
        connection = await asyncpg.connect(admin)
        try:
            await connection.execute(statement)
        finally:
            await connection.close()

    asyncio.run(admin_execute(f'CREATE DATABASE "{name}"'))
    try:
        url = make_url(database_url).set(database=name).render_as_string(hide_password=False)
        _migrate_up(url)
        yield url
    finally:
        asyncio.run(admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


# --------------------------------------------------------------------------- logging
#
# Building an app calls configure_logging, which changes process-wide state: structlog's
# configuration (a level filter, loggers cached on first use) and the stdlib root and
# uvicorn loggers. Left in place, it decides what later tests log and capture, so every
# test starts and ends with the logging state the session started with: structlog's
# defaults, and those stdlib loggers as they were.


@dataclass(frozen=True, slots=True)
class _StdlibLoggerState:
    handlers: list[logging.Handler]
    level: int
    propagate: bool
    disabled: bool

    @classmethod
    def of(cls, logger: logging.Logger) -> _StdlibLoggerState:
        return cls(logger.handlers[:], logger.level, logger.propagate, logger.disabled)

    def restore(self, logger: logging.Logger) -> None:
        logger.handlers = self.handlers[:]
        logger.setLevel(self.level)
        logger.propagate = self.propagate
        logger.disabled = self.disabled


@pytest.fixture(scope="session", autouse=True)
def _session_logging() -> Iterator[dict[str, _StdlibLoggerState]]:
    """The root and uvicorn loggers as the first test found them (pytest's capture handlers
    on the root included); for the whole session, structlog caches no logger."""
    import structlog
    from wallet_infra.logging_setup import UVICORN_LOGGERS

    configure = structlog.configure

    def configure_uncached(**settings: Any) -> None:
        # A logger cached on first use keeps the level filter and processor list it was
        # built with: one first used under a warning-level app would hide later tests'
        # info lines from capture_logs whatever configuration they restore. Production
        # keeps its caching; tests only give up the speed-up.
        configure(**{**settings, "cache_logger_on_first_use": False})

    names = ("", *UVICORN_LOGGERS)  # "" is the root logger
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(structlog, "configure", configure_uncached)
        yield {name: _StdlibLoggerState.of(logging.getLogger(name)) for name in names}


def _restore_logging(saved: dict[str, _StdlibLoggerState]) -> None:
    import structlog

    structlog.reset_defaults()
    for name, state in saved.items():
        state.restore(logging.getLogger(name))


@pytest.fixture(autouse=True)
def _pristine_logging(_session_logging: dict[str, _StdlibLoggerState]) -> Iterator[None]:
    """Before the test too, as wider-scoped fixtures are set up first: an app a session
    fixture builds would otherwise configure logging for whichever test sets it up."""
    _restore_logging(_session_logging)
    yield
    _restore_logging(_session_logging)
