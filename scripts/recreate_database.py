"""Drop and recreate the database `DATABASE_URL` names, empty (`make reset-local`).

    DATABASE_URL=postgresql://user:pass@localhost/db uv run python scripts/recreate_database.py

The no-Docker way to start over: `migrate down` cannot empty a used database, because the
downs that would lose what cannot be rebuilt (ledger rows of holds, transfers, refunds,
chargebacks, re-debits; stranded dispute filings) refuse. Connects to the server's
`postgres` database as the same user (who must be allowed CREATE DATABASE), ends the
sessions still on the database (`WITH (FORCE)`) and creates it again; the caller migrates.
Only a database on this machine, never PostgreSQL's own: this destroys every row. The URL
(it holds a password) is never printed. Accepted: a URL whose every host, in the URL
(`@localhost`, `@h1,h2`) and in any `host` parameter (`?host=/run/postgresql`), is
`localhost`, a loopback address (127.0.0.1, ::1) or a Unix socket directory (an absolute
path). Refused: a URL with no host at all (`postgresql:///wallet`, `postgresql://u:p@/wallet`),
whose server the driver would take from $PGHOST, a service file or its defaults, and any
URL with a `service` parameter (its host comes from a service file).
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


def _host_values(url: URL) -> list[str]:
    """Every host `url` names: in the URL (`h1,h2`) and in each `host` parameter."""
    query_hosts = url.query.get("host", ())
    if isinstance(query_hosts, str):
        query_hosts = (query_hosts,)
    specs = ([url.host] if url.host else []) + list(query_hosts)
    return [entry for spec in specs for entry in spec.split(",")]


def _address(entry: str) -> str:
    """The address of a host entry as asyncpg reads it: a socket path, `[v6]:port`, `host:port`."""
    if entry.startswith("/"):
        return entry
    if entry.startswith("["):
        return entry[1:].partition("]")[0]
    try:  # a bare IPv6 address (SQLAlchemy drops the brackets of `@[::1]:5432`)
        return str(ipaddress.ip_address(entry))
    except ValueError:
        return entry.partition(":")[0]


def _is_local_address(address: str) -> bool:
    if address.startswith("/") or address == "localhost":
        return True
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def _refuse_unless_local(url: URL) -> None:
    """ValueError unless every server asyncpg may connect to for `url` is on this machine.

    asyncpg takes the URL's host, else its `host` parameter, else a service file's (named by
    a `service` parameter), else $PGHOST, else its defaults: only the first two are the
    URL's own, so a URL relying on the others is refused rather than trusted to be local.
    """
    if "service" in url.query:
        raise ValueError(
            "DATABASE_URL names a service, whose host a service file gives (maybe another"
            " host): name the host in the URL to reset a local database"
        )
    hosts = _host_values(url)
    if not hosts or not all(hosts):
        raise ValueError(
            "DATABASE_URL names no host, so the driver would take another host from $PGHOST"
            " or its defaults: name localhost, a loopback address or a socket directory"
            " (?host=/run/postgresql)"
        )
    if not all(_is_local_address(_address(host)) for host in hosts):
        raise ValueError("DATABASE_URL names a database on another host: reset only a local one")


def _quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


async def recreate(database_url: str) -> str:
    """Drop and create the database `database_url` names; its name. ValueError when refused."""
    try:
        url = make_url(database_url.replace("postgres://", "postgresql://", 1))
    except (ArgumentError, ValueError):  # their messages quote the URL (or part of it)
        raise ValueError("DATABASE_URL is not a postgresql:// URL") from None
    name = url.database
    if not name or name in SYSTEM_DBS:
        raise ValueError("DATABASE_URL names no database of its own (or one of PostgreSQL's)")
    _refuse_unless_local(url)
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
