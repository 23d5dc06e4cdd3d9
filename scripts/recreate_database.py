"""Drop and recreate the database `DATABASE_URL` names, empty (`make reset-local`).

    DATABASE_URL=postgresql://user:pass@localhost/db uv run python scripts/recreate_database.py

The no-Docker way to start over: `migrate down` cannot empty a used database, because the
downs that would lose what cannot be rebuilt (ledger rows of holds, transfers, refunds,
chargebacks, re-debits; stranded dispute filings) refuse. Connects to the server's
`postgres` database as the same user (who must be allowed CREATE DATABASE), ends the
sessions still on the database (`WITH (FORCE)`) and creates it again; the caller migrates.
Only a database on this machine (localhost, a loopback address or a Unix socket), never
PostgreSQL's own: this destroys every row. The URL (it holds a password) is never printed.
"""

from __future__ import annotations

import asyncio
import ipaddress
import os
import sys
from typing import Final

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

MAINTENANCE_DB: Final = "postgres"
SYSTEM_DBS: Final = frozenset({MAINTENANCE_DB, "template0", "template1"})


def _is_local(url: URL) -> bool:
    host = url.host or url.query.get("host") or ""
    if isinstance(host, tuple):  # several ?host= values: local only if all are
        return all(_is_local(url.set(host=h, query={})) for h in host)
    if not host or host.startswith("/") or host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


async def recreate(database_url: str) -> str:
    """Drop and create the database `database_url` names; its name. ValueError when refused."""
    try:
        url = make_url(database_url.replace("postgres://", "postgresql://", 1))
    except ArgumentError:  # its message quotes the URL, password included
        raise ValueError("DATABASE_URL is not a postgresql:// URL") from None
    name = url.database
    if not name or name in SYSTEM_DBS:
        raise ValueError("DATABASE_URL names no database of its own (or one of PostgreSQL's)")
    if not _is_local(url):
        raise ValueError("DATABASE_URL names a database on another host: reset only a local one")
    maintenance = url.set(drivername="postgresql", database=MAINTENANCE_DB)
    connection = await asyncpg.connect(maintenance.render_as_string(hide_password=False))
    try:
        await connection.execute(f"DROP DATABASE IF EXISTS {_quote_ident(name)} WITH (FORCE)")
        await connection.execute(f"CREATE DATABASE {_quote_ident(name)}")
    finally:
        await connection.close()
    return name


def main() -> int:
    database_url = os.environ.get("DATABASE_URL", "")
    try:
        name = asyncio.run(recreate(database_url))
    except (ValueError, OSError, asyncpg.PostgresError) as error:
        # asyncpg's messages name the host and user at most, never the password.
        print(f"error: could not recreate the database: {error}", file=sys.stderr)
        return 1
    print(f"database {name!r} dropped and created empty", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
