"""Start-up and shutdown: the purge job, the recovery worker, the hold expiry worker and the
dispute partitions job and the read replicas' check run while the app serves (and, with
several workers, the copy of the scrape-time gauges into the shared metrics directory); the
container (pool, gateway client) is closed last."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import timedelta

from dishka import AsyncContainer
from fastapi import FastAPI
from wallet_infra.config.settings import Settings

from wallet_api.ops.dispute_partitions import dispute_partitions_job
from wallet_api.ops.hold_expiry import hold_expiry_job
from wallet_api.ops.idempotency_purge import purge_job
from wallet_api.ops.payment_recovery import recovery_job
from wallet_api.ops.replica_monitor import replica_monitor_job
from wallet_api.ops.worker_gauges import api_worker_gauges_job

Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]


def make_lifespan(container: AsyncContainer, settings: Settings) -> Lifespan:
    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        jobs = [
            purge_job(
                container,
                retention=timedelta(hours=settings.idempotency_retention_h),
                interval_s=settings.purge_interval_s,
            )
        ]
        if settings.recovery_enabled:
            jobs.append(recovery_job(container, settings))
        if settings.hold_expiry_enabled:
            jobs.append(
                hold_expiry_job(
                    container,
                    batch=settings.hold_expiry_batch,
                    interval_s=settings.hold_expiry_interval_s,
                )
            )
        if settings.dispute_partitions_enabled:
            jobs.append(
                dispute_partitions_job(
                    container,
                    ahead=settings.dispute_partitions_ahead,
                    interval_s=settings.dispute_partitions_interval_s,
                )
            )
        if settings.database_replica_urls:
            jobs.append(
                await replica_monitor_job(container, interval_s=settings.replica_check_interval_s)
            )
        if (worker_gauges := api_worker_gauges_job()) is not None:
            jobs.append(worker_gauges)
        for job in jobs:
            await job.start()
        try:
            yield
        finally:
            for job in jobs:
                await job.stop()
            await container.close()

    return lifespan
