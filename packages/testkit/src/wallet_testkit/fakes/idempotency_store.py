"""Fake of the `IdempotencyStore` port."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from wallet_domain.model.idempotency import IdempotencyRecord, IdempotencyState, StoredResponse
from wallet_domain.ports.idempotency_store import IdempotencyStore

from wallet_testkit.fakes.store import IntegrityViolation
from wallet_testkit.fakes.unit_of_work import FakeTransactionManager


class FakeIdempotencyStore(IdempotencyStore):
    def __init__(self, tx: FakeTransactionManager) -> None:
        self._tx = tx

    async def claim(self, record: IdempotencyRecord) -> IdempotencyRecord | None:
        existing = self._tx.key_holder(record.user_id, record.key)
        if existing is not None:
            return existing
        self._tx.tables.idempotency[(record.user_id, record.key)] = record
        return None

    async def get(self, user_id: str, key: str) -> IdempotencyRecord | None:
        return self._tx.key_holder(user_id, key)

    async def complete(
        self, user_id: str, key: str, response: StoredResponse, at: datetime
    ) -> StoredResponse:
        records = self._tx.tables.idempotency
        record = records.get((user_id, key))
        if record is None:
            raise IntegrityViolation(f"no idempotency record ({user_id!r}, {key!r})")
        if record.state is not IdempotencyState.IN_PROGRESS:
            assert record.response is not None
            return record.response  # a stored reply never changes
        self._tx.tables.answered_at[(user_id, key)] = at
        records[(user_id, key)] = replace(
            record, state=IdempotencyState.COMPLETED, response=response
        )
        return response

    async def purge_older_than(self, cutoff: datetime, *, batch: int) -> int:
        tables = self._tx.tables
        expired = sorted(
            (
                (record.created_at, scope)
                for scope, record in tables.idempotency.items()
                if record.state is IdempotencyState.COMPLETED
                # The retention counts from the reply (as the SQL's coalesce).
                and tables.answered_at.get(scope, record.created_at) < cutoff
            ),
        )[:batch]
        for _, scope in expired:
            del tables.idempotency[scope]
            tables.answered_at.pop(scope, None)
        return len(expired)
