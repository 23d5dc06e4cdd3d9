"""PostgreSQL helpers: the `migrate` CLI, private migrated databases and ad-hoc queries
(asyncpg, no pool)."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from uuid import uuid4

import asyncpg  # type: ignore[import-untyped]
import pytest
from sqlalchemy.engine import make_url

from wallet_testkit.polling import eventually

MIGRATE_TIMEOUT_S = 120


def plain_url(url: str, **query: str) -> str:
    """`url` as a driverless `postgresql://` URL (what asyncpg and `migrate` take), with
    the `query` parameters it does not set already."""
    parsed = make_url(url.replace("postgres://", "postgresql://", 1)).set(drivername="postgresql")
    extra = {k: v for k, v in query.items() if k not in parsed.query}
    return parsed.update_query_dict(extra).render_as_string(hide_password=False)


def migrate_binary() -> str:
    """The golang-migrate CLI: on PATH, else in ~/go/bin (the test fails if neither)."""
    found = shutil.which("migrate") or str(Path.home() / "go" / "bin" / "migrate")
    if not Path(found).is_file():
        pytest.fail("the golang-migrate `migrate` CLI is not on PATH nor in ~/go/bin")
    return found


def migrate_up(url: str, migrations: Path) -> None:
    """Bring the database at `url` to the latest schema version with the real `migrate` CLI."""
    command = [migrate_binary(), "-path", str(migrations)]
    command += ["-database", plain_url(url, sslmode="disable"), "up"]
    done = subprocess.run(  # noqa: S603 - fixed binary, our own arguments
        command, capture_output=True, text=True, timeout=MIGRATE_TIMEOUT_S, check=False
    )
    if done.returncode != 0:
        shown = make_url(url).render_as_string(hide_password=True)
        pytest.fail(f"`migrate up` failed on {shown}:\n{done.stderr.strip()}")


async def execute(url: str, statement: str) -> None:
    """One statement on its own connection (CREATE / DROP DATABASE need no transaction)."""
    connection = await asyncpg.connect(url)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


async def fetch(url: str, query: str, *args: Any) -> list[Any]:
    """The rows of `query` (asyncpg Records), on a connection of its own."""
    connection = await asyncpg.connect(url)
    try:
        return list(await connection.fetch(query, *args))
    finally:
        await connection.close()


async def until_waiting_on_a_lock(url: str, query_like: str, *, timeout_s: float = 10.0) -> None:
    """Poll until a session of this database waits on a lock while running a statement
    `LIKE query_like`: how a race test knows the other side reached the lock it holds."""

    async def waiting() -> bool:
        rows = await fetch(
            url,
            "SELECT 1 FROM pg_stat_activity WHERE datname = current_database()"
            " AND wait_event_type = 'Lock' AND query LIKE $1",
            query_like,
        )
        return bool(rows)

    await eventually(waiting, timeout_s=timeout_s)


async def listening_sessions(url: str, application_name: str) -> int:
    """Sessions of `application_name` on this database whose last statement was a LISTEN:
    connected, and woken by the next NOTIFY."""
    [row] = await fetch(
        url,
        "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database()"
        " AND application_name = $1 AND query LIKE 'LISTEN%'",
        application_name,
    )
    return int(row["n"])


@asynccontextmanager
async def private_database(
    database_url: str, *, prefix: str, migrations: Path
) -> AsyncIterator[str]:
    """A fresh database `<prefix><random>` on the test server, migrated to the latest
    version; its URL. Dropped (connections forced off) afterwards."""
    admin = plain_url(database_url)
    name = f"{prefix}{uuid4().hex[:12]}"
    await execute(admin, f'CREATE DATABASE "{name}"')
    try:
        url = make_url(admin).set(database=name).render_as_string(hide_password=False)
        await asyncio.to_thread(migrate_up, url, migrations)
        yield url
    finally:
        await execute(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
