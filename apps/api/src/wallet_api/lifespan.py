"""Start-up and shutdown: the purge job runs while the app serves; the container (pool,
gateway client) is closed last."""

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
        try:
            yield
        finally:
            purge.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await purge
            await container.close()

    return lifespan
