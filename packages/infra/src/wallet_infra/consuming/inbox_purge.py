"""The metrics consumer's inbox purge: every `interval_s`, forget the event_ids counted
longer ago than the retention (`PurgeConsumerInbox`), at most the request's `max_rows` per
round (the rest next round), counted in `wallet_consumer_inbox_purged_total{consumer}`.

Every instance runs it. The adapter claims each batch `FOR UPDATE SKIP LOCKED`, so
purges side by side take disjoint rows: none waits on another's locks, none deletes a row
twice, and the consumers' inserts (new keys, bar a late redelivery) never wait on one. A
failed round (database away) is logged and retried next interval; batches it committed
stay deleted, though they are missing from the counter. Shutdown cancels it: an
interrupted batch is one statement, rolled back whole.
"""

from __future__ import annotations

import structlog
from prometheus_client import CollectorRegistry, Counter
from wallet_domain.use_cases.purge_consumer_inbox import PurgeConsumerInbox, PurgeInboxRequest

from wallet_infra.runtime.periodic import Periodic

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
        self._purged = Counter(
            "wallet_consumer_inbox_purged",
            "Inbox records deleted after their retention (per completed purge round).",
            ["consumer"],
            registry=registry,
        ).labels(request.consumer)
        self._periodic = Periodic(
            self.run_once,
            interval_s=interval_s,
            task_name=f"inbox-purge-{request.consumer}",
            failure_event="consumer_inbox_purge_failed",
            consumer=request.consumer,
        )

    async def run_once(self) -> int:
        """One round now: records past the retention, up to the cap; returns how many went."""
        report = await self._purge.execute(self._request)
        self._purged.inc(report.deleted)
        if report.deleted:
            # `capped` round after round: the purge is not keeping up (see the settings).
            _log.info(
                "consumer_inbox_purged",
                consumer=self._request.consumer,
                deleted=report.deleted,
                capped=report.capped,
            )
        return report.deleted

    async def start(self) -> None:
        """FastStream `after_startup` hook: the first round runs at once."""
        await self._periodic.start()

    async def stop(self) -> None:
        """FastStream `on_shutdown` hook (before the engine is disposed)."""
        await self._periodic.stop()
