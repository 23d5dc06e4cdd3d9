"""The ingest's life: resolve the route's objects, connect to RabbitMQ in the background
(`BrokerLink`: until it answers, webhooks get 503 and `/readyz` says not ready), serve
`/metrics` on its own port (unless its samples are shared with other workers: then the
process that started them serves them added up), and close the container (the broker) last."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from dishka import AsyncContainer
from starlette.applications import Starlette
from wallet_infra.config.settings import Settings
from wallet_infra.consuming.startup_dependencies import StartupDependencies
from wallet_infra.metrics.exposition_server import serve_metrics
from wallet_infra.metrics.worker_samples import samples_shared

from wallet_webhook_ingest.broker_link import BrokerLink
from wallet_webhook_ingest.ioc import APP_ID
from wallet_webhook_ingest.metrics import IngestMetrics

Lifespan = Callable[[Starlette], AbstractAsyncContextManager[None]]


def make_lifespan(
    container: AsyncContainer, settings: Settings, dependencies: StartupDependencies
) -> Lifespan:
    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        try:
            await dependencies.resolve(container)
            link = await container.get(BrokerLink)
            metrics = await container.get(IngestMetrics)
            await link.start()
            try:
                with serve_metrics(
                    metrics.registry,
                    host=settings.webhook_ingest_metrics_host,
                    port=0 if samples_shared() else settings.webhook_ingest_metrics_port,
                    process=APP_ID,
                ):
                    yield
            finally:
                await link.stop()
        finally:
            await container.close()

    return lifespan
