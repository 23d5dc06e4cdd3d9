"""Shared PostgreSQL test harness for every test directory of the workspace.

The database comes from `WALLET_TEST_DATABASE_URL` if set, else from a throwaway
testcontainers PostgreSQL if a Docker engine answers; otherwise tests that need it fail
(never skip) with a message naming the variable. The schema is brought to the latest
version with the real `migrate` CLI, exactly as deployments do.

Tests share one database and isolate by data, not by truncation: each uses fresh
user_ids (the `user_id` fixture), so tests are order-independent and may run together.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Final
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
