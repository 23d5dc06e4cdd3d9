"""Run the relay: build the container, wire the service, stop cleanly on SIGTERM/SIGINT."""

from __future__ import annotations

import asyncio
import signal

import structlog
from dishka import Provider
from faststream.rabbit import RabbitBroker
from wallet_infra.config.settings import Settings
from wallet_infra.metrics.exposition_server import serve_metrics

from wallet_relay.config import RelayConfig
from wallet_relay.main import make_container
from wallet_relay.metrics import RelayMetrics
from wallet_relay.service import RelayService
from wallet_relay.wakeup import OutboxWakeup

_log = structlog.get_logger(__name__)


def install_stop_signals(stop: asyncio.Event) -> None:
    """SIGTERM (orchestrators) and SIGINT (Ctrl-C) ask for a graceful stop."""
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)


async def serve(
    settings: Settings, *overrides: Provider, stop: asyncio.Event | None = None
) -> None:
    """Relay until `stop` is set (by a signal when not given)."""
    if stop is None:
        stop = asyncio.Event()
        install_stop_signals(stop)
    config = RelayConfig.from_settings(settings)
    container = make_container(*overrides, settings=settings)
    try:
        metrics = await container.get(RelayMetrics)
        service = RelayService(
            container=container,
            broker=await container.get(RabbitBroker),
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
        await container.close()
