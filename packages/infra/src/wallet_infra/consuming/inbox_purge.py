"""The metrics consumer's inbox purge: every `interval_s`, forget the event_ids counted
longer ago than the retention (`PurgeConsumerInbox`), counted in
`wallet_consumer_inbox_purged_total{consumer}`.

Every instance runs it. The adapter claims each batch `FOR UPDATE SKIP LOCKED`, so
purges side by side take disjoint rows: none waits on another's locks, none deletes a row
twice, and the consumers' inserts (new keys, bar a late redelivery) never wait on one. A
failed round (database away) is logged and retried next interval; batches it committed
stay deleted, though they are missing from the counter. Shutdown cancels it: an
interrupted batch is one statement, rolled back whole.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Final

import structlog
from prometheus_client import CollectorRegistry, Counter
from wallet_domain.use_cases.purge_consumer_inbox import PurgeConsumerInbox, PurgeInboxRequest

# Rows per DELETE: a few ms of locks and WAL each, few round trips for a day's records.
PURGE_BATCH: Final = 1_000

_log = structlog.get_logger("wallet.consumer")


class InboxPurge:
    def __init__(
        self,
        *,
        purge: PurgeConsumerInbox,
        request: PurgeInboxRequest,
        interval_s: float,
        registry: CollectorRegistry,
    ) -> None:
        self._purge = purge
        self._request = request
        self._interval_s = interval_s
        self._purged = Counter(
            "wallet_consumer_inbox_purged",
            "Inbox records deleted after their retention (per completed purge round).",
            ["consumer"],
            registry=registry,
        ).labels(request.consumer)
        self._task: asyncio.Task[None] | None = None

    async def run_once(self) -> int:
        """One round now: every record past the retention; returns how many went."""
        report = await self._purge.execute(self._request)
        self._purged.inc(report.deleted)
        if report.deleted:
            _log.info(
                "consumer_inbox_purged", consumer=self._request.consumer, deleted=report.deleted
            )
        return report.deleted

    async def _run(self) -> None:
        while True:
            try:
                await self.run_once()
            except Exception as error:  # the type only: driver messages may quote SQL
                _log.warning(
                    "consumer_inbox_purge_failed",
                    consumer=self._request.consumer,
                    error=type(error).__name__,
                )
            await asyncio.sleep(self._interval_s)

    async def start(self) -> None:
        """FastStream `after_startup` hook: the first round runs at once."""
        self._task = asyncio.create_task(self._run(), name=f"inbox-purge-{self._request.consumer}")

    async def stop(self) -> None:
        """FastStream `on_shutdown` hook (before the engine is disposed)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
