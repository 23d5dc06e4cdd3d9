"""Typed parameter lists for hand-written SQL, with the types taken from the tables.

A parameter whose type nothing in the statement tells PostgreSQL (a SELECT list, an
`unnest` array) is written `CAST(:name AS <type>)`, the type as the table definition
states it, so the SQL and the schema cannot drift.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Table

from wallet_infra.persistence.driver import ASYNCPG_DIALECT


def sql_type(table: Table, column: str) -> str:
    """The column's PostgreSQL type as the table definition states it (`numeric(20, 0)`)."""
    return str(table.c[column].type.compile(dialect=ASYNCPG_DIALECT))


def typed_params(table: Table, columns: Sequence[str], prefix: str) -> str:
    """`CAST(:<prefix><column> AS <its type>), ...` (INSERT ... SELECT needs them)."""
    return ", ".join(f"CAST(:{prefix}{name} AS {sql_type(table, name)})" for name in columns)


def unnest_rows(table: Table, columns: Sequence[str], alias: str) -> str:
    """`unnest(CAST(:a AS <a's type>[]), ...) AS <alias>(a, ...)`: one row per index, each
    column sent as one array parameter (`:<column>`)."""
    arrays = ", ".join(f"CAST(:{name} AS {sql_type(table, name)}[])" for name in columns)
    return f"unnest({arrays}) AS {alias}({', '.join(columns)})"
