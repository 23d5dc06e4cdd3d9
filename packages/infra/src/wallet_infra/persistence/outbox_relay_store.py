"""`OutboxRelayStore` on PostgreSQL, straight on asyncpg: claim due unsent rows with
`FOR UPDATE SKIP LOCKED`, mark them sent, set failed ones aside until their retry (on the
database's clock), purge old ones.

Claiming by lock, never by "id > last seen", is what makes N relays safe: ids (UUIDv7)
are taken before commit, so commits land out of id order and a high-water mark would
skip rows still in flight. Each write is one statement per batch (`= ANY($1)`), so a
batch costs the same few round trips whatever its size.

A batch is one transaction (`driver.PoolTransaction`) on one pool connection, its
statements sent to the driver: at the rate payments come in, the relay runs a batch of a
few events for nearly every commit it is woken for, and through a Session, SQLAlchemy's
work per transaction and per statement cost the relay several times what the statements
do.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime, timedelta
from typing import Any, Final
from uuid import UUID

from sqlalchemy import bindparam, select, text
from wallet_domain.model.events import DomainEvent, EventType
from wallet_domain.model.outbox_message import OutboxMessage
from wallet_domain.ports.outbox_relay import OutboxRelayStore

from wallet_infra.persistence.driver import DriverStatement, PoolTransaction
from wallet_infra.persistence.outbox import EVENT_COLUMNS
from wallet_infra.persistence.tables import outbox

# The event types this relay can publish. A row of any other type (written by a newer API
# during a rolling deploy, or left by one rolled back) is not claimed: it waits, unsent and
# counted in the backlog, for a relay that knows it, instead of failing every batch it
# would be claimed in and holding back every event behind it.
_KNOWN_TYPES: Final = text(
    "event_type = ANY(CAST(ARRAY["
    + ", ".join("'" + event_type.value.replace("'", "''") + "'" for event_type in EventType)
    + "] AS text[]))"
)
# The database's clock, never a relay's: every relay claims by it and every retry is set
# on it, so a relay whose clock is off cannot park an event for the others. The claim
# reads statement_timestamp(), stable within the statement (an index condition may not be
# volatile like clock_timestamp()) and later than now() (the transaction's start).
#
# Served by outbox_unsent_due_idx ((event_id, coalesce(next_attempt_at, '-infinity'))
# WHERE sent_at IS NULL; tables.OUTBOX_UNSENT_DUE_IDX): no scan of sent rows, walked in
# event id order, and the due check is an index condition on the entry's second column,
# written exactly as the index's expression. A row waiting for a retry is read past in
# the index, no heap fetch (~0.02 us a row: 1 ms with 50,000 waiting among 1M), and
# left unlocked: it takes no place in the batch, so the events behind it are claimed at
# full pace. A row of an unknown type is read past after its heap fetch (rare).
CLAIM: Final = DriverStatement(
    select(*(outbox.c[name] for name in EVENT_COLUMNS), outbox.c.attempts)
    .where(
        outbox.c.sent_at.is_(None),
        text("coalesce(next_attempt_at, '-infinity') <= statement_timestamp()"),
        _KNOWN_TYPES,
    )
    .order_by(outbox.c.event_id)
    .limit(bindparam("limit"))
    .with_for_update(skip_locked=True)
)
_MARK_SENT: Final = DriverStatement(
    text("UPDATE outbox SET sent_at = :at WHERE event_id = ANY(CAST(:ids AS uuid[]))")
)
# Each failed event's own delay, counted from the database's clock at this write: one
# statement for the batch, pairing the arrays (delays in seconds, as float8).
_RECORD_FAILURE: Final = DriverStatement(
    text(
        "UPDATE outbox SET attempts = attempts + 1,"
        " next_attempt_at = clock_timestamp() + make_interval(secs => retry.delay_s)"
        " FROM unnest(CAST(:ids AS uuid[]), CAST(:delays AS float8[])) AS retry (id, delay_s)"
        " WHERE event_id = retry.id"
    )
)
# Served by outbox_sent_at_idx; SKIP LOCKED so a purge never waits behind a relay.
_PURGE: Final = DriverStatement(
    text(
        "DELETE FROM outbox WHERE event_id IN (SELECT event_id FROM outbox"
        " WHERE sent_at < :cutoff ORDER BY sent_at LIMIT :batch FOR UPDATE SKIP LOCKED)"
    )
)


class AsyncpgOutboxRelayStore(OutboxRelayStore):
    """The outbox seen by a relay, in the batch's `PoolTransaction`; never commits."""

    def __init__(self, *, transaction: PoolTransaction) -> None:
        self._transaction = transaction

    async def claim_batch(self, limit: int) -> list[OutboxMessage]:
        rows = await self._transaction.fetch("outbox.claim", CLAIM, {"limit": limit})
        return [_message(row) for row in rows]

    async def mark_sent(self, event_ids: Collection[UUID], at: datetime) -> None:
        if event_ids:
            params = {"ids": list(event_ids), "at": at}
            await self._transaction.execute("outbox.mark_sent", _MARK_SENT, params)

    async def record_failure(self, retry_in: Mapping[UUID, timedelta]) -> None:
        if retry_in:
            delays = [delay.total_seconds() for delay in retry_in.values()]
            params = {"ids": list(retry_in), "delays": delays}
            await self._transaction.execute("outbox.record_failure", _RECORD_FAILURE, params)

    async def purge_sent_before(self, cutoff: datetime, batch: int) -> int:
        params = {"cutoff": cutoff, "batch": batch}
        status = await self._transaction.execute("outbox.purge", _PURGE, params)
        return int(status.rsplit(" ", 1)[-1])  # "DELETE <n>"


def _message(row: Any) -> OutboxMessage:
    # asyncpg returns its own UUID subclass, which orjson (the envelope) refuses.
    return OutboxMessage(
        event=DomainEvent(
            event_id=UUID(int=row[0].int),
            event_type=EventType(row[1]),
            aggregate_id=UUID(int=row[2].int),
            user_id=row[3],
            occurred_at=row[4],
            schema_version=row[5],
            payload=row[6],
        ),
        traceparent=row[7],
        attempts=row[8],
    )
