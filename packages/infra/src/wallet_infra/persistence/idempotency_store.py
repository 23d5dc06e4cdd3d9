"""`IdempotencyStore` on PostgreSQL: one row per (user_id, key).

`claim` is `INSERT ... ON CONFLICT DO NOTHING`: the first claim of a key costs one round
trip; a concurrent claim of the same key blocks on the unique index until the first
transaction ends, then either inserts (it rolled back) or finds the committed record.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final, Protocol

from sqlalchemy import CursorResult, Text, bindparam, func, literal_column, select, tuple_
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.sql.elements import ColumnClause
from wallet_domain.model.idempotency import IdempotencyRecord, IdempotencyState, StoredResponse
from wallet_domain.ports.idempotency_store import IdempotencyReplies, IdempotencyStore

from wallet_infra.persistence.driver import DriverStatement, StatementTarget, fetchrow
from wallet_infra.persistence.statements.idempotency_keys import CLAIM
from wallet_infra.persistence.std_uuid import std_uuid
from wallet_infra.persistence.tables import idempotency_keys

_k = idempotency_keys
_GET: Final = select(*_k.c).where(_k.c.user_id == bindparam("uid"), _k.c.key == bindparam("k"))
_COMPLETED: Final[ColumnClause[str]] = literal_column("'COMPLETED'", Text)
_complete_values: Final = {
    "state": _COMPLETED,
    "response_status": bindparam("status"),
    "response_body": bindparam("body"),
    "completed_at": bindparam("at"),
}
_IN_PROGRESS: Final[ColumnClause[str]] = literal_column("'IN_PROGRESS'", Text)
# Only an IN_PROGRESS record takes a reply: once answered, a key's reply never changes.
_COMPLETE: Final = (
    _k.update()
    .where(_k.c.user_id == bindparam("uid"), _k.c.key == bindparam("k"), _k.c.state == _IN_PROGRESS)
    .values(_complete_values)
    .returning(_k.c.state)
)
# Retention counts from the reply (`completed_at`), not the claim: a key left IN_PROGRESS
# past the retention (a crash after the debit, the outcome unknown for days) and answered
# late would otherwise go at the next purge, and the client's retry, told "in progress"
# all along, would run as a new payment. A reply is never older than its claim, so the
# `created_at` bound only narrows the scan to idempotency_keys_created_at_idx, oldest
# first (no index on the reply's time: it would make every completion a non-HOT update);
# a COMPLETED row without `completed_at` (none is written so) falls back to its claim.
# SKIP LOCKED lets purgers run side by side.
_expired: Final = (
    select(_k.c.user_id, _k.c.key)
    .where(
        _k.c.state == _COMPLETED,
        _k.c.created_at < bindparam("cutoff"),
        func.coalesce(_k.c.completed_at, _k.c.created_at) < bindparam("cutoff"),
    )
    .order_by(_k.c.created_at)
    .limit(bindparam("batch"))
    .with_for_update(skip_locked=True)
)
_PURGE: Final = _k.delete().where(tuple_(_k.c.user_id, _k.c.key).in_(_expired.scalar_subquery()))
_CLAIM_ATTEMPTS: Final = 3


# `_GET` again, on the driver: the refusal path reads the key this way (see `get`).
_READ: Final = DriverStatement(_GET)
_COMPLETE_ON_DRIVER: Final = DriverStatement(_COMPLETE)


class _Columns(Protocol):
    def __getitem__(self, column: str, /) -> Any: ...


# By stored value: a dict lookup instead of the enum's own, once per replayed key.
_STATES: Final = {state.value: state for state in IdempotencyState}


def record_of(row: _Columns) -> IdempotencyRecord:
    """An `idempotency_keys` row (a SQLAlchemy row's `_mapping`, or an asyncpg Record read
    through the driver) as a record."""
    response = None
    if row["response_status"] is not None and row["response_body"] is not None:
        response = StoredResponse(row["response_status"], bytes(row["response_body"]))
    payment_id = row["payment_id"]
    return IdempotencyRecord(
        user_id=row["user_id"],
        key=row["key"],
        fingerprint=row["fingerprint"],
        state=_STATES[row["state"]],
        created_at=row["created_at"],
        # asyncpg's own UUID subclass, which orjson refuses, becomes a stdlib one.
        payment_id=None if payment_id is None else std_uuid(payment_id),
        response=response,
    )


class SqlaIdempotencyStore(IdempotencyStore):
    """Idempotency records in the request's session; never commits."""

    def __init__(self, *, session: AsyncSession) -> None:
        self._session = session

    async def claim(self, record: IdempotencyRecord) -> IdempotencyRecord | None:
        response = record.response
        row = {
            "user_id": record.user_id,
            "key": record.key,
            "fingerprint": record.fingerprint,
            "state": record.state.value,
            "payment_id": record.payment_id,
            "response_status": None if response is None else response.status_code,
            "response_body": None if response is None else response.body,
            "created_at": record.created_at,
            "completed_at": None if response is None else record.created_at,
        }
        # One round trip claims the key or reads its holder (a replay costs no more).
        result = (await self._session.execute(CLAIM, row)).first()
        if result is not None:
            return None if result.claimed else record_of(result._mapping)
        # The holder committed after this statement's snapshot was taken, so the insert saw
        # the conflict but the read could not see the row: read again with a fresh snapshot.
        for _ in range(_CLAIM_ATTEMPTS):
            existing = (
                await self._session.execute(_GET, {"uid": record.user_id, "k": record.key})
            ).first()
            if existing is not None:
                return record_of(existing._mapping)
            # The holder was purged (or rolled back) in between: the key is free again.
            result = (await self._session.execute(CLAIM, row)).first()
            if result is not None:
                return None if result.claimed else record_of(result._mapping)
        raise RuntimeError("idempotency key neither insertable nor readable")

    async def get(self, user_id: str, key: str) -> IdempotencyRecord | None:
        # One statement to the driver: on a refusal path that must stay cheap (the
        # fail-fast 503 checks the key before refusing).
        return await _read(self._session, user_id, key)

    async def complete(
        self, user_id: str, key: str, response: StoredResponse, at: datetime
    ) -> StoredResponse:
        params = _completion(user_id, key, response, at)
        if (await self._session.execute(_COMPLETE, params)).first() is not None:
            return response
        # Answered already (a reply never changes): that reply is the key's answer. The
        # update above began the session's transaction, so the read joins it.
        return _answered(await _read(self._session, user_id, key), key)

    async def purge_older_than(self, cutoff: datetime, *, batch: int) -> int:
        result = await self._session.execute(_PURGE, {"cutoff": cutoff, "batch": batch})
        assert isinstance(result, CursorResult)
        return result.rowcount


class PooledIdempotencyReplies(IdempotencyReplies):
    """`get` and `complete`, each its own statement on the engine's pool: no session, so
    one serves every request of the process (the payment's, whose key is claimed by its
    opening write)."""

    def __init__(self, *, engine: AsyncEngine) -> None:
        self._engine = engine

    async def get(self, user_id: str, key: str) -> IdempotencyRecord | None:
        return await _read(self._engine, user_id, key)

    async def complete(
        self, user_id: str, key: str, response: StoredResponse, at: datetime
    ) -> StoredResponse:
        params = _completion(user_id, key, response, at)
        if await fetchrow(self._engine, "idempotency.complete", _COMPLETE_ON_DRIVER, params):
            return response
        return _answered(await _read(self._engine, user_id, key), key)


async def _read(db: StatementTarget, user_id: str, key: str) -> IdempotencyRecord | None:
    row = await fetchrow(db, "idempotency.get", _READ, {"uid": user_id, "k": key})
    return None if row is None else record_of(row)


def _completion(user_id: str, key: str, response: StoredResponse, at: datetime) -> dict[str, Any]:
    return {
        "uid": user_id,
        "k": key,
        "status": response.status_code,
        "body": response.body,
        "at": at,
    }


def _answered(record: IdempotencyRecord | None, key: str) -> StoredResponse:
    """The reply a key already answered holds (a reply never changes: it is the answer)."""
    stored = None if record is None else record.response
    if stored is None:
        raise LookupError(f"no answered idempotency record for key {key!r}")
    return stored
