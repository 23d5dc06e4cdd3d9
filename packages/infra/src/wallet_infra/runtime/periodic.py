"""A process's periodic job (purges, gauges, the recovery worker): one round at start-up,
then one every `interval_s` until stopped.

A failed round is logged and the next one runs on schedule: the job outlives a broker or
database that is away for a while. Only the error's type is logged, since a driver's
message may quote SQL. `start`/`stop` fit FastStream's lifecycle hooks and an ASGI
lifespan alike; `stop` cancels a round in flight.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import structlog

from wallet_infra.runtime.cancel import cancel_and_wait

_log = structlog.get_logger("wallet.jobs")


class Periodic:
    def __init__(
        self,
        round_: Callable[[], Awaitable[object]],
        *,
        interval_s: float,
        task_name: str,
        failure_event: str,
        **log_fields: str,
    ) -> None:
        self._round = round_
        self._interval_s = interval_s
        self._task_name = task_name
        self._failure_event = failure_event
        self._log_fields = log_fields
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        while True:
            try:
                await self._round()
            except Exception as error:
                _log.warning(self._failure_event, **self._log_fields, error=type(error).__name__)
            await asyncio.sleep(self._interval_s)

    async def start(self) -> None:
        """The first round runs at once (in the background)."""
        self._task = asyncio.create_task(self._run(), name=self._task_name)

    async def stop(self) -> None:
        """A round in flight is cancelled; idempotent."""
        await cancel_and_wait(self._task)
        self._task = None
