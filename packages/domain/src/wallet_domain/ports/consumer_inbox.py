from __future__ import annotations

from datetime import datetime
from typing import Protocol
from uuid import UUID


class ConsumerInbox(Protocol):
    """Which events each consumer has already acted on, shared by all its instances.

    A consumer whose side effect cannot itself be made idempotent (an in-memory counter)
    records the event_id here before acting.
    """

    async def first_time(self, consumer: str, event_id: UUID) -> bool:
        """Record `event_id` for `consumer`, committed when this returns (a write on its
        own). True if no
        committed (or concurrently committing) record exists, False for a redelivery.
        A concurrent recorder of the same pair is waited for, so exactly one sees True."""
        ...

    async def forget_before(self, consumer: str, cutoff: datetime, limit: int) -> int:
        """Delete at most `limit` of `consumer`'s records made before `cutoff`, oldest
        first, committed when this returns (a write on its own); returns how many.

        Callers running at once (every instance purges) never wait for each other: a
        record another caller is deleting is skipped, so this may return fewer than
        `limit` while old records remain. Other consumers' records are never touched."""
        ...
