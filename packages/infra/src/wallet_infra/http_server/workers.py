"""How many worker processes a server runs: the app's own setting (`WALLET_API_WORKERS`,
`WALLET_WEBHOOK_INGEST_WORKERS`), else `WEB_CONCURRENCY` (the convention uvicorn and
gunicorn read, which platforms set), else one.

Decided here, once, and always handed to uvicorn: left to itself uvicorn reads
`WEB_CONCURRENCY` only when no count is given, so an app passing its own default would
silently ignore it and one passing none would get workers it was not built for."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Final

WEB_CONCURRENCY: Final = "WEB_CONCURRENCY"


def worker_count(configured: int | None, environ: Mapping[str, str] = os.environ) -> int:
    if configured is not None:
        return configured
    text = environ.get(WEB_CONCURRENCY, "").strip()
    if not text:
        return 1
    try:
        count = int(text)
    except ValueError:
        count = 0
    if count < 1:
        raise ValueError(
            f"{WEB_CONCURRENCY} must be a whole number of processes, 1 or more: {text!r}"
        )
    return count
