from __future__ import annotations

from datetime import datetime
from typing import Protocol
from uuid import UUID

from wallet_domain.model.idempotency import IdempotencyRecord, StoredResponse


class IdempotencyStore(Protocol):
    """Idempotency records, unique per (user_id, key), in the request's transaction."""

    async def claim(self, record: IdempotencyRecord) -> IdempotencyRecord | None:
        """Insert `record`; returns None if it was inserted, or the record that already
        holds the key. Waits for a concurrent claimer of the same key to commit or roll back."""
        ...

    async def complete(
        self, user_id: str, key: str, response: StoredResponse, at: datetime
    ) -> None:
        """Store the final reply if the record is still IN_PROGRESS (it becomes COMPLETED);
        a reply once stored never changes, so replays stay byte-identical."""
        ...

    async def complete_for_payment(
        self, payment_id: UUID, response: StoredResponse, at: datetime
    ) -> None:
        """Complete the IN_PROGRESS record that created `payment_id`, if any
        (used when a payment is resolved outside its request)."""
        ...

    async def purge_older_than(self, cutoff: datetime, *, batch: int) -> int:
        """Delete up to `batch` COMPLETED records created before `cutoff`; returns the count."""
        ...
