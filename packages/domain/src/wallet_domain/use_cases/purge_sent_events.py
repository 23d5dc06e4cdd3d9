"""Delete outbox events the broker confirmed long ago, so the table stays small."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from wallet_domain.batches import until_short_batch
from wallet_domain.ports.clock import Clock
from wallet_domain.ports.outbox_relay import OutboxRelayStore
from wallet_domain.ports.transaction_manager import TransactionManager
from wallet_domain.unit_of_work import rolling_back


@dataclass(frozen=True, slots=True, kw_only=True)
class PurgeSentRequest:
    older_than: timedelta
    batch: int


@dataclass(frozen=True, slots=True, kw_only=True)
class PurgeReport:
    deleted: int


@dataclass(frozen=True, slots=True, kw_only=True)
class PurgeSentEvents:
    """Delete events sent before now - `older_than`, `batch` rows per transaction.

    Rules: an unsent event is never deleted, whatever its age (it is still owed to the
    broker); short transactions keep locks brief next to the relays' claims.
    """

    store: OutboxRelayStore
    tx: TransactionManager
    clock: Clock

    async def execute(self, request: PurgeSentRequest) -> PurgeReport:
        if request.batch < 1:
            raise ValueError("batch must be positive")
        cutoff = self.clock.now() - request.older_than

        async def one_batch() -> int:
            async with rolling_back(self.tx):
                count = await self.store.purge_sent_before(cutoff, request.batch)
                await self.tx.commit()
            return count

        return PurgeReport(deleted=await until_short_batch(one_batch, batch=request.batch))
