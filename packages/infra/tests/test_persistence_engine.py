"""make_engine's URL handling and connection settings; SystemClock and UuidV7Generator."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.sql.base import Executable
from sqlalchemy.sql.cache_key import HasCacheKey
from wallet_infra.clock import SystemClock
from wallet_infra.ids import UuidV7Generator, random_hex_id
from wallet_infra.persistence import (
    idempotency_store,
    ledger_queries,
    outbox,
    service_providers,
    wallet_balances,
    wallets,
)
from wallet_infra.persistence.engine import async_url, make_engine, ssl_mode


@pytest.mark.parametrize(
    "dsn",
    [
        "postgresql://u:p@db:5432/wallet",
        "postgres://u:p@db:5432/wallet",
        "postgresql+asyncpg://u:p@db:5432/wallet",
    ],
)
def test_a_postgresql_dsn_becomes_an_asyncpg_url(dsn: str) -> None:
    url = async_url(dsn)

    assert url.drivername == "postgresql+asyncpg"
    assert (url.username, url.password, url.host, url.port, url.database) == (
        "u",
        "p",
        "db",
        5432,
        "wallet",
    )


@pytest.mark.parametrize(
    ("dsn", "expected"),
    [
        ("postgresql://u:p@localhost:5432/db", "disable"),
        ("postgresql://u:p@127.0.0.1/db", "disable"),
        ("postgresql://u:p@localhost/db?sslmode=require", "require"),
        ("postgresql://u:p@db.internal/db", None),  # asyncpg's default: prefer
        ("postgresql://u:p@db.internal/db?sslmode=verify-full", "verify-full"),
    ],
)
def test_tls_follows_sslmode_and_is_off_on_loopback_by_default(
    dsn: str, expected: str | None
) -> None:
    assert ssl_mode(async_url(dsn)) == expected


@pytest.mark.parametrize(
    "module",
    [idempotency_store, ledger_queries, outbox, service_providers, wallet_balances, wallets],
)
def test_every_prepared_statement_is_cacheable(module: object) -> None:
    """A statement without a cache key is compiled again on every execution (for example
    any postgresql.insert(): SQLAlchemy 2.0 never caches those)."""
    statements = {
        name: value
        for name, value in vars(module).items()
        if isinstance(value, Executable) and isinstance(value, HasCacheKey)
    }

    assert statements
    assert [n for n, s in statements.items() if s._generate_cache_key() is None] == []


def test_a_non_postgresql_dsn_is_refused() -> None:
    with pytest.raises(ValueError, match="not a PostgreSQL URL"):
        async_url("mysql://u:p@db/wallet")


async def test_the_engine_applies_sslmode_and_session_settings(database_url: str) -> None:
    separator = "&" if "?" in database_url else "?"
    engine = make_engine(
        f"{database_url}{separator}sslmode=disable",
        pool_size=1,
        max_overflow=0,
        statement_timeout_ms=1234,
        application_name="wallet-engine-test",
    )
    try:
        async with engine.connect() as conn:
            settings = await conn.execute(
                text(
                    "SELECT current_setting('statement_timeout'),"
                    " current_setting('application_name'), current_setting('jit'),"
                    " CAST(:doc AS jsonb)"
                ),
                {"doc": '{"a": [1, 2]}'},
            )
            assert tuple(settings.one()) == ("1234ms", "wallet-engine-test", "off", {"a": [1, 2]})
    finally:
        await engine.dispose()


def test_the_clock_is_utc_and_aware() -> None:
    now = SystemClock().now()

    assert now.tzinfo is UTC
    assert now.utcoffset() == timedelta(0)


def test_ids_are_stdlib_uuid7_in_creation_order() -> None:
    generate = UuidV7Generator().new_id
    made = [generate() for _ in range(10_000)]

    assert all(type(i) is uuid.UUID and i.version == 7 for i in made)
    assert made == sorted(made)
    assert len(set(made)) == len(made)


def test_random_hex_ids_are_distinct_version_4_uuids() -> None:
    made = [random_hex_id() for _ in range(10_000)]

    assert all(re.fullmatch(r"[0-9a-f]{32}", i) for i in made)
    assert all(uuid.UUID(hex=i).version == 4 for i in made)
    assert len(set(made)) == len(made)
