"""`OutboxRelayStore` on PostgreSQL, straight on asyncpg: claim unsent rows with
`FOR UPDATE SKIP LOCKED`, mark them sent, purge old ones.

Claiming by lock, never by "id > last seen", is what makes N relays safe: ids (UUIDv7)
are taken before commit, so commits land out of id order and a high-water mark would
skip rows still in flight. Each write is one statement per batch (`= ANY($1)`), so a
batch costs the same few round trips whatever its size.

A batch is one transaction (`RelayTransaction`) on one pool connection, its statements
sent to the driver: at the rate payments come in, the relay runs a batch of a few events
for nearly every commit it is woken for, and through a Session, SQLAlchemy's work per
transaction and per statement cost the relay several times what the statements do.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any, Final
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from wallet_domain.model.events import DomainEvent, EventType
from wallet_domain.model.outbox_message import OutboxMessage
from wallet_domain.ports.outbox_relay import OutboxRelayStore
from wallet_domain.ports.transaction_manager import TransactionManager

from wallet_infra.persistence.driver_statement import on_driver

# Served by outbox_unsent_idx (event_id WHERE sent_at IS NULL): no scan of sent rows.
CLAIM_SQL: Final = (
    "SELECT event_id, event_type, aggregate_id, user_id, occurred_at, schema_version,"
    " payload, traceparent FROM outbox WHERE sent_at IS NULL"
    " ORDER BY event_id LIMIT $1 FOR UPDATE SKIP LOCKED"
)
_MARK_SENT: Final = "UPDATE outbox SET sent_at = $2 WHERE event_id = ANY($1::uuid[])"
_RECORD_FAILURE: Final = (
    "UPDATE outbox SET attempts = attempts + 1 WHERE event_id = ANY($1::uuid[])"
)
# Served by outbox_sent_at_idx; SKIP LOCKED so a purge never waits behind a relay.
_PURGE: Final = (
    "DELETE FROM outbox WHERE event_id IN (SELECT event_id FROM outbox WHERE sent_at < $1"
    " ORDER BY sent_at LIMIT $2 FOR UPDATE SKIP LOCKED)"
)


class RelayTransaction(TransactionManager):
    """One relay batch's transaction: a pool connection taken, and BEGIN sent, by the
    store's first statement; ended by `commit()` or `rollback()`. `close()` (the REQUEST
    scope's teardown) rolls back whatever is still open and returns the connection; a
    connection whose state is unknown (a failed rollback, a lost socket) is invalidated,
    never pooled again."""

    def __init__(self, *, engine: AsyncEngine) -> None:
        self._engine = engine
        self._connection: AsyncConnection | None = None
        self._transaction: Any = None  # asyncpg's Transaction, once begun

    async def connection(self) -> AsyncConnection:
        """The batch's connection, in a transaction (begun on first use)."""
        if self._connection is None:
            self._connection = await self._engine.connect()
        if self._transaction is None:
            async with on_driver(self._connection, "BEGIN") as driver:
                transaction = driver.transaction()
                await transaction.start()
            self._transaction = transaction
        return self._connection

    async def commit(self) -> None:
        await self._end("COMMIT")

    async def rollback(self) -> None:
        await self._end("ROLLBACK")

    async def close(self) -> None:
        connection = self._connection
        if connection is None:
            return
        try:
            await self.rollback()  # nothing to do unless the batch left it open
        except BaseException:
            # Failed or cancelled mid-rollback: the server may still hold the transaction,
            # which the pool's reset on return would not know.
            await connection.invalidate()
            raise
        finally:
            self._connection = None
            await connection.close()

    async def _end(self, how: str) -> None:
        transaction, self._transaction = self._transaction, None
        if transaction is None or self._connection is None:
            return
        async with on_driver(self._connection, how):
            await (transaction.commit() if how == "COMMIT" else transaction.rollback())


class AsyncpgOutboxRelayStore(OutboxRelayStore):
    """The outbox seen by a relay, in the batch's `RelayTransaction`; never commits."""

    def __init__(self, *, transaction: RelayTransaction) -> None:
        self._transaction = transaction

    async def claim_batch(self, limit: int) -> list[OutboxMessage]:
        connection = await self._transaction.connection()
        async with on_driver(connection, "outbox.claim") as driver:
            rows = await driver.fetch(CLAIM_SQL, limit)
        return [_message(row) for row in rows]

    async def mark_sent(self, event_ids: Collection[UUID], at: datetime) -> None:
        if event_ids:
            await self._execute("outbox.mark_sent", _MARK_SENT, list(event_ids), at)

    async def record_failure(self, event_ids: Collection[UUID]) -> None:
        if event_ids:
            await self._execute("outbox.record_failure", _RECORD_FAILURE, list(event_ids))

    async def purge_sent_before(self, cutoff: datetime, batch: int) -> int:
        status = await self._execute("outbox.purge", _PURGE, cutoff, batch)
        return int(status.rsplit(" ", 1)[-1])  # "DELETE <n>"

    async def _execute(self, span_name: str, sql: str, *args: Any) -> str:
        connection = await self._transaction.connection()
        async with on_driver(connection, span_name) as driver:
            status: str = await driver.execute(sql, *args)
        return status


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
    )
