"""`unnest(...)` over array parameters: many rows in one statement, typed by the table.

Each column is sent as one array parameter (`:<column>`), cast to the array of the
column's type as the table definition states it, so the SQL and the schema cannot drift.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Table

from wallet_infra.persistence.driver_statement import sql_type


def unnest_rows(table: Table, columns: Sequence[str], alias: str) -> str:
    """`unnest(CAST(:a AS <a's type>[]), ...) AS <alias>(a, ...)`: one row per index."""
    arrays = ", ".join(f"CAST(:{name} AS {sql_type(table, name)}[])" for name in columns)
    return f"unnest({arrays}) AS {alias}({', '.join(columns)})"
