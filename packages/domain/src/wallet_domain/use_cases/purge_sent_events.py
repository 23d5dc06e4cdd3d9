"""Delete outbox events the broker confirmed long ago, so the table stays small."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from wallet_domain.ports.clock import Clock
from wallet_domain.ports.outbox_relay import OutboxRelayStore
from wallet_domain.ports.transaction_manager import TransactionManager


@dataclass(frozen=True, slots=True, kw_only=True)
class PurgeSentRequest:
    older_than: timedelta
    batch: int


@dataclass(frozen=True, slots=True, kw_only=True)
class PurgeReport:
    deleted: int


class PurgeSentEvents:
    """Delete events sent before now - `older_than`, `batch` rows per transaction.

    Rules: an unsent event is never deleted, whatever its age (it is still owed to the
    broker); short transactions keep locks brief next to the relays' claims.
    """

    def __init__(self, *, store: OutboxRelayStore, tx: TransactionManager, clock: Clock) -> None:
        self._store = store
        self._tx = tx
        self._clock = clock

    async def execute(self, request: PurgeSentRequest) -> PurgeReport:
        if request.batch < 1:
            raise ValueError("batch must be positive")
        cutoff = self._clock.now() - request.older_than
        deleted = 0
        while True:
            try:
                count = await self._store.purge_sent_before(cutoff, request.batch)
                await self._tx.commit()
            except BaseException:
                await self._tx.rollback()
                raise
            deleted += count
            if count < request.batch:
                return PurgeReport(deleted=deleted)
