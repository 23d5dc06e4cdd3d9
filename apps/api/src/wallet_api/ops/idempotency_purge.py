"""Periodic purge of idempotency records past their retention (at least 24 h).

Runs in every API instance: the store deletes in small batches with SKIP LOCKED, so
instances never block or double-count each other, and each batch commits on its own so
no long transaction holds locks. A failed round is logged and retried next interval.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Final

import structlog
from dishka import AsyncContainer
from wallet_domain.ports.clock import Clock
from wallet_domain.ports.idempotency_store import IdempotencyStore
from wallet_domain.ports.transaction_manager import TransactionManager

BATCH: Final = 1000
_log = structlog.get_logger("wallet_api.purge")


async def purge_once(container: AsyncContainer, *, retention: timedelta, batch: int = BATCH) -> int:
    """Delete every completed record older than `retention`; returns how many."""
    clock = await container.get(Clock)
    cutoff = clock.now() - retention
    total = 0
    while True:
        async with container() as request:
            store = await request.get(IdempotencyStore)
            tx = await request.get(TransactionManager)
            deleted: int = await store.purge_older_than(cutoff, batch=batch)
            await tx.commit()
        total += deleted
        if deleted < batch:
            return total


async def run_purge_loop(
    container: AsyncContainer, *, retention: timedelta, interval_s: float
) -> None:
    """Purge now, then every `interval_s`, until cancelled (at shutdown)."""
    while True:
        try:
            deleted = await purge_once(container, retention=retention)
            _log.info("idempotency_purged", deleted=deleted)
        except asyncio.CancelledError:
            raise
        except Exception:
            _log.exception("idempotency_purge_failed")
        await asyncio.sleep(interval_s)
