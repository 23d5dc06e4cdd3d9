"""The bench's own database: created, migrated (`make migrate-up`), and dropped at the end.

A grown development database (an outbox of sent rows, a long ledger, bloated indexes)
skews every figure; a fresh one per run does not. The server is the one in
WALLET_DATABASE_URL (default the local dev server); the run's database sits next to the
others as `wallet_bench_<run id>`, so the CPU meter can tell its backends apart.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import asyncpg

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DSN = "postgresql://wallet:wallet@localhost:5432/wallet"


def server_dsn() -> str:
    return os.environ.get("WALLET_DATABASE_URL", DEFAULT_DSN)


def with_database(dsn: str, name: str) -> str:
    return urlunparse(urlparse(dsn)._replace(path=f"/{name}"))


@asynccontextmanager
async def bench_database(run_id: str) -> AsyncIterator[tuple[str, str]]:
    """(dsn, name) of a freshly migrated database, dropped (connections and all) on exit."""
    name = f"wallet_bench_{run_id}"
    admin = with_database(server_dsn(), "postgres")
    conn = await asyncpg.connect(admin)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    dsn = with_database(server_dsn(), name)
    try:
        print(f"migrating {name} ...", file=sys.stderr)
        migrate = await asyncio.create_subprocess_exec(
            "make", "-s", "migrate-up", f"DATABASE_URL={dsn}?sslmode=disable", cwd=ROOT
        )
        if await migrate.wait() != 0:
            raise RuntimeError(f"migrating {name} failed")
        yield dsn, name
    finally:
        conn = await asyncpg.connect(admin)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()
        print(f"dropped {name}", file=sys.stderr)
