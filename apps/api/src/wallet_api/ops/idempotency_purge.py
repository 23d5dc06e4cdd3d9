"""Periodic purge of idempotency records past their retention (at least 24 h).

Runs in every API instance: the store deletes in small batches with SKIP LOCKED, so
instances never block or double-count each other, and each batch commits on its own so
no long transaction holds locks. A failed round is logged (its error's type) and retried
next interval.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Final

import structlog
from dishka import AsyncContainer
from wallet_domain.batches import until_short_batch
from wallet_domain.ports.clock import Clock
from wallet_domain.ports.idempotency_store import IdempotencyStore
from wallet_domain.ports.transaction_manager import TransactionManager
from wallet_infra.runtime.periodic import Periodic

BATCH: Final = 1000
_log = structlog.get_logger("wallet_api.purge")


async def purge_once(container: AsyncContainer, *, retention: timedelta, batch: int = BATCH) -> int:
    """Delete every completed record older than `retention`; returns how many."""
    clock = await container.get(Clock)
    cutoff = clock.now() - retention

    async def one_batch() -> int:
        async with container() as request:
            store = await request.get(IdempotencyStore)
            tx = await request.get(TransactionManager)
            deleted: int = await store.purge_older_than(cutoff, batch=batch)
            await tx.commit()
        return deleted

    return await until_short_batch(one_batch, batch=batch)


def purge_job(container: AsyncContainer, *, retention: timedelta, interval_s: float) -> Periodic:
    """Purge now, then every `interval_s` (started and stopped by the lifespan)."""

    async def round_() -> None:
        deleted = await purge_once(container, retention=retention)
        _log.info("idempotency_purged", deleted=deleted)

    return Periodic(
        round_,
        interval_s=interval_s,
        task_name="idempotency-purge",
        failure_event="idempotency_purge_failed",
    )
