"""uvicorn's Config carrying the server limits.

uvicorn builds each connection's protocol with `(config, server_state, app_state)` only,
so the limits travel on the config; with several workers the config is pickled into
each worker process, so they arrive there too.
"""

from __future__ import annotations

from typing import Any

import uvicorn

from wallet_api.server.limits import Refusals, ServerLimits


class LimitedConfig(uvicorn.Config):
    def __init__(self, app: Any, *, limits: ServerLimits, **kwargs: Any) -> None:
        super().__init__(app, **kwargs)
        self.limits = limits
        self.refusals = Refusals.for_limits(limits)
