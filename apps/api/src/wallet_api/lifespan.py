"""Start-up and shutdown: the purge job and the recovery worker run while the app serves;
the container (pool, gateway client) is closed last."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import timedelta

from dishka import AsyncContainer
from fastapi import FastAPI
from wallet_infra.config.settings import Settings

from wallet_api.ops.idempotency_purge import run_purge_loop
from wallet_api.ops.payment_recovery import run_recovery_loop

Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]


def make_lifespan(container: AsyncContainer, settings: Settings) -> Lifespan:
    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        purge = asyncio.create_task(
            run_purge_loop(
                container,
                retention=timedelta(hours=settings.idempotency_retention_h),
                interval_s=settings.purge_interval_s,
            ),
            name="idempotency-purge",
        )
        jobs = [purge]
        if settings.recovery_enabled:
            jobs.append(
                asyncio.create_task(run_recovery_loop(container, settings), name="payment-recovery")
            )
        try:
            yield
        finally:
            for job in jobs:
                job.cancel()
            for job in jobs:
                with contextlib.suppress(asyncio.CancelledError):
                    await job
            await container.close()

    return lifespan
