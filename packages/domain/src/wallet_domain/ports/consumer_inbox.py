from __future__ import annotations

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
