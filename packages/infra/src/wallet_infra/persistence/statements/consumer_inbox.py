"""The consumer inbox's statements: record a batch of consumed events, forget old ones."""

from __future__ import annotations

from typing import Final

from sqlalchemy import text

from wallet_infra.persistence.driver import DriverStatement
from wallet_infra.persistence.statements.typed import unnest_rows
from wallet_infra.persistence.tables import CONSUMER_INBOX_PKEY, consumer_inbox

_COLUMNS: Final = ("consumer", "event_id")
# One statement (its own transaction) for a whole batch of consumed events.
RECORD: Final = DriverStatement(
    text(
        f"INSERT INTO consumer_inbox ({', '.join(_COLUMNS)})"  # noqa: S608 - constants only
        f" SELECT {', '.join(_COLUMNS)} FROM {unnest_rows(consumer_inbox, _COLUMNS, 'r')}"
        f" ON CONFLICT ON CONSTRAINT {CONSUMER_INBOX_PKEY} DO NOTHING"
        " RETURNING consumer, event_id"
    )
)
# One statement (its own transaction) per batch: an index range scan of
# consumer_inbox_consumer_processed_at_idx (tables.CONSUMER_INBOX_PROCESSED_AT_IDX) that
# the LIMIT stops, then a TID scan deleting exactly the rows it locked. (Joining back on
# the primary key instead lets the generic plan of the prepared statement, which cannot
# see the LIMIT, hash-join against a sequential scan of the whole table.) A locked row's
# ctid cannot change before the DELETE: nothing updates inbox rows, and VACUUM FULL or
# CLUSTER would need a lock that conflicts with ours.
FORGET: Final = DriverStatement(
    text(
        "WITH doomed AS ("
        " SELECT ctid FROM consumer_inbox"
        " WHERE consumer = :consumer AND processed_at < :cutoff"
        " ORDER BY processed_at LIMIT :limit FOR UPDATE SKIP LOCKED"
        "), gone AS ("
        " DELETE FROM consumer_inbox WHERE ctid = ANY (ARRAY(SELECT ctid FROM doomed)) RETURNING 1"
        ") SELECT count(*) FROM gone"
    )
)
