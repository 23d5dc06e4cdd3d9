"""`wallet-reconcile --every`: reconciliation as a periodic job, with its gauges served.

One round at start-up, then one every `WALLET_RECONCILE_INTERVAL_S` over the last
`WALLET_RECONCILE_WINDOW_H` hours, until SIGTERM or SIGINT. A failed round is logged and
the next runs on schedule (`wallet_infra.runtime.Periodic`); the gauges keep the last
completed round's figures, and its end time tells how old they are.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import structlog
from dishka import AsyncContainer
from wallet_infra.config.settings import Settings
from wallet_infra.metrics.exposition_server import serve_metrics
from wallet_infra.runtime import Periodic, stop_on_signals

from wallet_ops.reconcile_metrics import ReconcileMetrics
from wallet_ops.reconcile_progress import LogProgress, WalkedWindow
from wallet_ops.reconcile_run import RunOptions, reconcile_window

_log = structlog.get_logger("wallet.reconcile")


class ReconcileJob:
    def __init__(
        self,
        *,
        container: AsyncContainer,
        settings: Settings,
        options: Callable[[datetime], RunOptions],
        metrics: ReconcileMetrics,
    ) -> None:
        self._container = container
        self._settings = settings
        self._options = options
        self.metrics = metrics

    async def round(self) -> None:
        options = self._options(datetime.now(UTC))
        window = WalkedWindow(options.since, options.until)
        progress = LogProgress(window, lambda line: _log.info("reconciliation progress", line=line))
        found = await reconcile_window(self._container, options, progress)
        self.metrics.observe(found, at=datetime.now(UTC))
        unresolved = [m for m in found if not m.fixed]
        _log.info(
            "reconciliation done",
            walked=window.walked,
            mismatches=len(found),
            unresolved=len(unresolved),
            fixed=len(found) - len(unresolved),
        )

    async def run(self, stop: asyncio.Event) -> None:
        """Rounds until `stop` is set; the container is closed on the way out."""
        settings = self._settings
        periodic = Periodic(
            self.round,
            interval_s=settings.reconcile_interval_s,
            task_name="wallet-reconcile",
            failure_event="reconciliation failed",
        )
        try:
            with serve_metrics(
                self.metrics.registry,
                host=settings.reconcile_metrics_host,
                port=settings.reconcile_metrics_port,
                process="wallet-reconcile",
            ):
                await periodic.start()
                try:
                    await stop.wait()
                finally:
                    await periodic.stop()
        finally:
            await self._container.close()

    async def serve(self) -> None:
        """Run until SIGTERM (orchestrators) or SIGINT (Ctrl-C)."""
        await self.run(stop_on_signals())


def window_ending(settings: Settings, now: datetime) -> tuple[datetime, datetime]:
    """The periodic job's window: the last `reconcile_window_h` hours up to `now`."""
    return now - timedelta(hours=settings.reconcile_window_h), now
