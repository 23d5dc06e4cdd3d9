"""Stopping a background task: cancel it and wait until it has unwound, so whatever it
holds (a connection, a claimed row) is released before the caller goes on."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any


async def cancel_and_wait(task: asyncio.Task[Any] | None) -> None:
    """Cancel `task` (None: nothing to do) and wait for it to end; a task that had already
    failed raises its error here."""
    if task is None:
        return
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
