"""INSERT steps for one-statement writes (data-modifying CTEs), shared by the books.

Each step inserts only if the step it names (`source`) returned a row, so a chain of them
is all-or-nothing within its statement. Parameters are cast to their columns' types.
"""

from __future__ import annotations

from typing import Final

from wallet_infra.persistence.outbox import EVENT_COLUMNS
from wallet_infra.persistence.statements.typed import typed_params
from wallet_infra.persistence.tables import outbox, transactions

# entry_row sets every `transactions` column but a payment's running totals of what it gave
# back, which every row starts with at their default, 0.
RUNNING_TOTALS: Final = frozenset({"refunded_amount", "charged_back_amount"})
ENTRY_COLUMNS: Final = tuple(c.name for c in transactions.c if c.name not in RUNNING_TOTALS)


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
