"""The composition root every event consumer shares: one place that wires a queue's
subscriber to the database, the broker, `/healthz`, `/metrics` and the DLQ depth gauge.

Each consumer app passes in what makes it itself (its queue and DLQ, its subscriber, its
provider, its background jobs); the adapters are still chosen only here and in those
providers.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Protocol

from dishka import Provider, make_async_container
from faststream.asgi import AsgiFastStream
from faststream.rabbit import RabbitBroker, RabbitQueue
from prometheus_client import CollectorRegistry

from wallet_infra.config.settings import Settings
from wallet_infra.consuming.dlq_depth import DlqDepth
from wallet_infra.consuming.routes import healthz_route, metrics_route
from wallet_infra.consuming.startup_dependencies import StartupDependencies
from wallet_infra.health import HealthProbe
from wallet_infra.ioc import (
    CoreProvider,
    DatabaseProvider,
    PersistenceProvider,
    SettingsProvider,
)
from wallet_infra.ioc.consumers import ConsumerRuntimeProvider
from wallet_infra.logging_setup import configure_logging
from wallet_infra.messaging.broker import make_broker
from wallet_infra.runtime.broker_connect import CONSUMER_BUDGET_S, connect_broker
from wallet_infra.startup_heap import freeze_startup_heap


class BackgroundJob(Protocol):
    """Periodic work of a consumer process besides consuming (e.g. `InboxPurge`)."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


def build_consumer_app(
    *,
    app_id: str,
    settings: Settings,
    queue: RabbitQueue,
    dlq: RabbitQueue,
    subscribe: Callable[[RabbitBroker, StartupDependencies], None],
    consumer_provider: Callable[[CollectorRegistry], Provider],
    background: Sequence[type[BackgroundJob]] = (),
    providers: Sequence[Provider] = (),
) -> AsgiFastStream:
    """The subscriber plus `/healthz` and `/metrics` (delivery outcomes, lag, DLQ
    depth). `background` jobs are taken from the container and started once consuming
    has begun, stopped at shutdown before the container closes. `providers` come after
    the defaults and override them. The registry is the app's own (not
    prometheus_client's global one), so apps built in one process, as tests do, count
    separately."""
    configure_logging(log_format=settings.log_format, log_level=settings.log_level)
    registry = CollectorRegistry()
    # No FastDepends: each handler takes the delivery from its decoder (`the_delivery`).
    broker = make_broker(
        settings.amqp_url,
        prefetch_count=settings.consumer_prefetch,
        app_id=app_id,
        apply_types=False,
    )
    container = make_async_container(
        SettingsProvider(settings),
        DatabaseProvider(),
        PersistenceProvider(),
        CoreProvider(),
        ConsumerRuntimeProvider(broker=broker, queue=queue.name, registry=registry),
        consumer_provider(registry),
        *providers,
    )
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

    app = AsgiFastStream(
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
    return app


async def _freeze_heap() -> None:
    freeze_startup_heap()
