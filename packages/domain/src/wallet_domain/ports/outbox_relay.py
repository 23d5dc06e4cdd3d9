from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime, timedelta
from typing import Protocol
from uuid import UUID

from wallet_domain.model.outbox_message import OutboxMessage


class OutboxRelayStore(Protocol):
    """The relay's side of the outbox: unsent events, claimed so N relays never publish
    the same batch at once. Every method runs in the caller's transaction.

    Retry times are kept on the store's own clock (the database's), shared by every
    relay: a relay passes delays, never times, so its clock being off moves nothing."""

    async def claim_batch(self, limit: int) -> list[OutboxMessage]:
        """Up to `limit` unsent events that are due now on the store's clock (never
        failed, or waiting for a retry due by then), oldest id first, each with its failed
        `attempts`, locked until the transaction ends; rows another relay holds are
        skipped, not waited for. An event waiting for a later retry is not claimed, nor
        counted in the limit, so it holds back no other event."""
        ...

    async def mark_sent(self, event_ids: Collection[UUID], at: datetime) -> None:
        """Record that the broker confirmed these events."""
        ...

    async def record_failure(self, retry_in: Mapping[UUID, timedelta]) -> None:
        """Count one more failed publish attempt of each event and keep it from being
        claimed until its `retry_in` has passed on the store's clock, counted from this
        write; the events stay unsent."""
        ...

    async def purge_sent_before(self, cutoff: datetime, batch: int) -> int:
        """Delete up to `batch` events sent before `cutoff`; returns how many went."""
        ...
