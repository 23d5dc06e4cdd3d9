"""INSERT ... SELECT fragments for the one-statement writes (data-modifying CTEs).

Each fragment inserts only if its `source` CTE returned a row, so chaining them makes a
write all-or-nothing within one statement: a step runs only if the step it reads did.
"""

from __future__ import annotations

from typing import Final

from wallet_infra.persistence.driver_statement import typed_params
from wallet_infra.persistence.outbox import EVENT_COLUMNS
from wallet_infra.persistence.tables import outbox, transactions

# entry_row sets every `transactions` column.
ENTRY_COLUMNS: Final = tuple(column.name for column in transactions.c)


def insert_entry(prefix: str, source: str) -> str:
    """INSERT one ledger row (parameters `<prefix><column>`) once per row of `source`."""
    return (
        f"INSERT INTO transactions ({', '.join(ENTRY_COLUMNS)})"  # noqa: S608 - constants only
        f" SELECT {typed_params(transactions, ENTRY_COLUMNS, prefix)}"
        f" FROM {source} RETURNING id"
    )


def insert_events(count: int, source: str) -> str:
    """INSERT `count` outbox rows (parameters `e<i>_<column>`) if `source` has a row."""
    rows = ", ".join(f"({typed_params(outbox, EVENT_COLUMNS, f'e{i}_')})" for i in range(count))
    return (
        f"INSERT INTO outbox ({', '.join(EVENT_COLUMNS)})"  # noqa: S608 - constants only
        f" SELECT * FROM (VALUES {rows}) AS v WHERE EXISTS (SELECT FROM {source})"
        " RETURNING event_id"
    )
