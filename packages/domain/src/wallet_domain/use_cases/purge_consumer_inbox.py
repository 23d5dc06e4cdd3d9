"""Forget events a consumer handled long ago, so its inbox stops growing with every payment."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Final

from wallet_domain.ports.clock import Clock
from wallet_domain.ports.consumer_inbox import ConsumerInbox

# An inbox record must outlive every redelivery of its event, or that redelivery is acted
# on twice: the relay re-publishing after a crash (seconds, or as long as every relay is
# down), the broker redelivering an unacked message (minutes), and an operator moving
# dead-lettered messages back (hours to days). A day is the least that is ever safe.
MIN_RETENTION: Final = timedelta(hours=24)


@dataclass(frozen=True, slots=True, kw_only=True)
class PurgeInboxRequest:
    consumer: str
    older_than: timedelta
    batch: int
    max_rows: int  # per run


@dataclass(frozen=True, slots=True, kw_only=True)
class InboxPurged:
    deleted: int
    capped: bool  # stopped at `max_rows`: old records may be left for the next round


@dataclass(frozen=True, slots=True, kw_only=True)
class PurgeConsumerInbox:
    """Delete `consumer`'s inbox records made before now - `older_than`, `batch` at a time,
    at most `max_rows` in one run.

    Rules:
    - `older_than` is at least MIN_RETENTION (ValueError otherwise): a record forgotten
      while its event can still come back lets that event be counted again. It must also
      exceed how long dead-lettered messages may wait before being replayed.
    - Each batch commits on its own (locks held for one short statement), and batches go
      on until one comes back short: everything old is gone, or another instance is
      purging the rest at the same moment.
    - A run stops after `max_rows` (at least one `batch`, ValueError otherwise), the
      last batch shortened to fit: a backlog (the first run after a deploy, or after the
      purge was off) is spread over several runs instead of one long burst of deletes
      and WAL competing with the consumers' own writes. The rest waits for the next run.
    - A failure propagates; batches already committed stay deleted and the next run
      carries on from there (deleting is idempotent).
    """

    inbox: ConsumerInbox
    clock: Clock

    async def execute(self, request: PurgeInboxRequest) -> InboxPurged:
        if request.batch < 1:
            raise ValueError("batch must be positive")
        if request.max_rows < request.batch:
            raise ValueError("max_rows must be at least one batch")
        if request.older_than < MIN_RETENTION:
            raise ValueError(f"inbox records must be kept at least {MIN_RETENTION}")
        cutoff = self.clock.now() - request.older_than
        deleted = 0
        while deleted < request.max_rows:
            limit = min(request.batch, request.max_rows - deleted)
            count = await self.inbox.forget_before(request.consumer, cutoff, limit)
            deleted += count
            if count < limit:
                return InboxPurged(deleted=deleted, capped=False)
        return InboxPurged(deleted=deleted, capped=True)
