"""uvicorn's Config carrying the server limits.

uvicorn builds each connection's protocol with `(config, server_state, app_state)` only,
so the limits travel on the config; with several workers the config is pickled into
each worker process, so they arrive there too.
"""

from __future__ import annotations

from typing import Any

import uvicorn

from wallet_infra.http_server.limits import Refusals, ServerLimits


class LimitedConfig(uvicorn.Config):
    """`access_logger`: the logger the server's refusals write their access line to (the
    one the process logs its requests on)."""

    def __init__(
        self, app: Any, *, limits: ServerLimits, access_logger: str, **kwargs: Any
    ) -> None:
        super().__init__(app, **kwargs)
        self.limits = limits
        self.refusals = Refusals.for_limits(limits)
        self.access_logger = access_logger
