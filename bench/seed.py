"""Seed benchmark data straight into PostgreSQL, keeping balance == sum(ledger)."""

from __future__ import annotations

from uuid import UUID

import asyncpg
from wallet_domain.model.pagination import LedgerPosition, encode_cursor

BENCH_FUNDS = 10**12

_UUID7_SQL = """(lpad(to_hex((extract(epoch from {ts}) * 1000)::bigint), 12, '0') || '7'
    || substr(md5(random()::text), 1, 3) || '8' || substr(md5(random()::text), 1, 15))::uuid"""


async def seed_wallets(conn: asyncpg.Connection, prefix: str, count: int) -> list[str]:
    """`count` wallets funded with one deposit each (USD)."""
    await conn.execute(
        f"""
        WITH w AS (
            INSERT INTO wallets (user_id)
            SELECT $1 || i FROM generate_series(1, $2) i
            ON CONFLICT DO NOTHING RETURNING user_id
        ), b AS (
            INSERT INTO wallet_balances (user_id, currency, balance)
            SELECT user_id, 'USD', $3 FROM w RETURNING user_id
        )
        INSERT INTO transactions (id, user_id, type, status, amount, currency, reference,
                                  created_at, updated_at)
        SELECT {_UUID7_SQL.format(ts="clock_timestamp()")}, user_id, 'DEPOSIT', 'COMPLETED',
               $3, 'USD', 'bench seed', now(), now()
        FROM b
        """,
        prefix,
        count,
        BENCH_FUNDS,
    )
    return [f"{prefix}{i}" for i in range(1, count + 1)]


async def seed_full_pages(conn: asyncpg.Connection, wallets: list[str], rows: int) -> None:
    """`rows` more deposits of 1 minor unit in each of `wallets`, older than anything the
    bench writes next, so each wallet's first history page of `rows` is full from the
    first request on, whichever API reads it and however many payments came before."""
    await conn.execute(
        f"""
        INSERT INTO transactions (id, user_id, type, status, amount, currency, reference,
                                  created_at, updated_at)
        SELECT {_UUID7_SQL.format(ts="ts")}, w, 'DEPOSIT', 'COMPLETED', 1, 'USD', 'page', ts, ts
        FROM unnest($1::text[]) w,
             LATERAL (SELECT now() - make_interval(secs => 3600 + i) AS ts
                      FROM generate_series(1, $2) i) s
        """,
        wallets,
        rows,
    )
    await conn.execute(
        "UPDATE wallet_balances SET balance = balance + $2"
        " WHERE user_id = ANY($1::text[]) AND currency = 'USD'",
        wallets,
        rows,
    )
    await conn.execute("ANALYZE transactions")


async def seed_history(conn: asyncpg.Connection, user_id: str, rows: int) -> None:
    """One wallet with `rows` deposits of 1 minor unit, ids time-ordered like UUIDv7."""
    await conn.execute("INSERT INTO wallets (user_id) VALUES ($1) ON CONFLICT DO NOTHING", user_id)
    await conn.execute(
        f"""
        INSERT INTO transactions (id, user_id, type, status, amount, currency, reference,
                                  created_at, updated_at)
        SELECT {_UUID7_SQL.format(ts="ts")}, $1, 'DEPOSIT', 'COMPLETED', 1, 'USD', 'h', ts, ts
        FROM (SELECT now() - make_interval(secs => ($2 - i) / 1000.0) AS ts
              FROM generate_series(1, $2) i) s
        """,
        user_id,
        rows,
    )
    await conn.execute(
        """
        INSERT INTO wallet_balances (user_id, currency, balance) VALUES ($1, 'USD', $2)
        ON CONFLICT (user_id, currency) DO UPDATE SET balance = wallet_balances.balance + $2
        """,
        user_id,
        rows,
    )
    await conn.execute("ANALYZE transactions")


async def cursor_at_depth(conn: asyncpg.Connection, user_id: str, offset: int) -> str:
    """The cursor after which page `offset / limit + 1` starts (newest first)."""
    row = await conn.fetchrow(
        "SELECT created_at, id FROM transactions WHERE user_id = $1"
        " ORDER BY created_at DESC, id DESC OFFSET $2 LIMIT 1",
        user_id,
        offset - 1,
    )
    assert row is not None, "history shorter than requested depth"
    return encode_cursor(
        LedgerPosition(created_at=row["created_at"], id=UUID(bytes=row["id"].bytes))
    )
