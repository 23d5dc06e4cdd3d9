from __future__ import annotations

from datetime import datetime
from typing import Protocol

from wallet_domain.model.idempotency import IdempotencyRecord, StoredResponse


class IdempotencyReplies(Protocol):
    """Reading a key's record and storing its final reply: all a use case needs whose
    claim is part of another write (a payment's opening claims the key itself), so an
    adapter of just this can run each as a statement of its own."""

    async def get(self, user_id: str, key: str) -> IdempotencyRecord | None:
        """The record holding the key as committed now, or None. A read: it claims
        nothing and never waits for a claimer still in flight."""
        ...

    async def complete(
        self, user_id: str, key: str, response: StoredResponse, at: datetime
    ) -> StoredResponse:
        """Store the final reply if the record is still IN_PROGRESS (it becomes COMPLETED);
        a reply once stored never changes, so replays stay byte-identical. Returns the reply
        the key holds afterwards: `response`, or the one stored before it."""
        ...


class IdempotencyStore(IdempotencyReplies, Protocol):
    """Idempotency records, unique per (user_id, key), in the request's transaction."""

    async def claim(self, record: IdempotencyRecord) -> IdempotencyRecord | None:
        """Insert `record`; returns None if it was inserted, or the record that already
        holds the key. Waits for a concurrent claimer of the same key to commit or roll back."""
        ...

    async def purge_older_than(self, cutoff: datetime, *, batch: int) -> int:
        """Delete up to `batch` COMPLETED records answered before `cutoff` (the retention
        counts from the reply, so a key answered late keeps it); returns the count."""
        ...
