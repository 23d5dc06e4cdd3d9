"""The relay's life: wire the service from the container, relay until asked to stop
(SIGTERM/SIGINT, or a test's event), close the container (pool, broker) last."""

from __future__ import annotations

import asyncio

import structlog
from dishka import AsyncContainer
from faststream.rabbit import RabbitBroker
from wallet_infra.config.settings import Settings
from wallet_infra.metrics.exposition_server import serve_metrics
from wallet_infra.runtime import stop_on_signals

from wallet_relay.config import RelayConfig
from wallet_relay.metrics import RelayMetrics
from wallet_relay.service import RelayService
from wallet_relay.wakeup import OutboxWakeup

_log = structlog.get_logger(__name__)


class RelayApp:
    """What `make_app` builds: the relay's container and settings, not started yet."""

    def __init__(self, *, container: AsyncContainer, settings: Settings) -> None:
        self.container = container
        self._settings = settings

    async def serve(self) -> None:
        """Relay until SIGTERM (orchestrators) or SIGINT (Ctrl-C) asks for a graceful stop."""
        await self.run(stop_on_signals())

    async def run(self, stop: asyncio.Event) -> None:
        """Relay until `stop` is set; the container is closed on the way out."""
        settings = self._settings
        config = RelayConfig.from_settings(settings)
        try:
            metrics = await self.container.get(RelayMetrics)
            service = RelayService(
                container=self.container,
                broker=await self.container.get(RabbitBroker),
                wakeup=OutboxWakeup(dsn=settings.database_url, max_backoff_s=config.max_backoff_s),
                config=config,
                metrics=metrics,
            )
            _log.info("relay starting", batch_size=config.batch_size)
            with serve_metrics(
                metrics.registry,
                host=settings.relay_metrics_host,
                port=settings.relay_metrics_port,
                process="wallet-relay",
            ):
                await service.run(stop)
        finally:
            await self.container.close()
