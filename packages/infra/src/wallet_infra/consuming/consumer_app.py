"""What every event consumer app is built around: its broker, and the FastStream ASGI app
that wires its queue's subscriber to `/healthz`, `/metrics`, the DLQ depth gauge and its
background jobs.

Each consumer's `main.make_app` builds its own container (infra's `consumer_providers`
plus its own provider) and passes it in; the adapters are chosen there, not here.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Protocol

from dishka import AsyncContainer
from faststream.asgi import AsgiFastStream
from faststream.rabbit import RabbitBroker, RabbitQueue
from prometheus_client import CollectorRegistry

from wallet_infra.config.settings import Settings
from wallet_infra.consuming.dlq_depth import DlqDepth
from wallet_infra.consuming.routes import healthz_route, metrics_route
from wallet_infra.consuming.startup_dependencies import StartupDependencies
from wallet_infra.health import HealthProbe
from wallet_infra.messaging.broker import make_broker
from wallet_infra.runtime.broker_connect import CONSUMER_BUDGET_S, connect_broker
from wallet_infra.startup_heap import freeze_startup_heap


class BackgroundJob(Protocol):
    """Periodic work of a consumer process besides consuming (e.g. `InboxPurge`)."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


def consumer_broker(settings: Settings, *, app_id: str) -> RabbitBroker:
    """The app's own broker (one per app, so tests can build many in one process)."""
    # No FastDepends: each handler takes the delivery from its decoder (`the_delivery`).
    return make_broker(
        settings.amqp_url,
        prefetch_count=settings.consumer_prefetch,
        app_id=app_id,
        apply_types=False,
    )


def consumer_app(
    *,
    app_id: str,
    broker: RabbitBroker,
    container: AsyncContainer,
    registry: CollectorRegistry,
    dlq: RabbitQueue,
    subscribe: Callable[[RabbitBroker, StartupDependencies], None],
    background: Sequence[type[BackgroundJob]] = (),
) -> AsgiFastStream:
    """The subscriber plus `/healthz` and `/metrics` (delivery outcomes, lag, DLQ depth)
    of `registry`. `background` jobs are taken from the container and started once
    consuming has begun, stopped at shutdown before the container closes."""
    dependencies = StartupDependencies()
    subscribe(broker, dependencies)
    dlq_depth = DlqDepth(broker=broker, dlq=dlq, registry=registry)

    async def prepare() -> None:
        """Before consuming: the subscriber's dependencies resolved, the DLQs and every
        binding declared (idempotent)."""
        await dependencies.resolve(container)
        await connect_broker(broker, budget_s=CONSUMER_BUDGET_S)

    jobs: list[BackgroundJob] = []

    async def start_jobs() -> None:
        for job_type in background:
            job = await container.get(job_type)
            await job.start()
            jobs.append(job)

    async def stop_jobs() -> None:
        while jobs:
            await jobs.pop().stop()

    async def health() -> HealthProbe:
        return await container.get(HealthProbe)

    return AsgiFastStream(
        broker,
        asgi_routes=[("/healthz", healthz_route(health)), ("/metrics", metrics_route(registry))],
        on_startup=[prepare],
        # Start-up's heap frozen once consuming: no full-collection pause rescans it.
        after_startup=[dlq_depth.start, start_jobs, _freeze_heap],
        on_shutdown=[stop_jobs, dlq_depth.stop],
        after_shutdown=[container.close],
        # Through the root handler configure_logging set up (JSON in containers), not
        # FastStream's own stdout handler.
        logger=logging.getLogger(app_id),
    )


async def _freeze_heap() -> None:
    freeze_startup_heap()
