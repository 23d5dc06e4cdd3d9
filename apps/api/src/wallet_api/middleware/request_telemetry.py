"""One structured access line and the HTTP metrics per request, from one timing.

Sits outside recovery, so a 500 is logged and counted like any other answer.
"""

from __future__ import annotations

import time
from typing import Final

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from wallet_api.ops.http_metrics import UNMATCHED, observe

_log = structlog.get_logger("wallet_api.access")
# Probes and scrapes arrive every few seconds; at debug they stay out of normal logs.
_QUIET_PATHS: Final = frozenset({"/healthz", "/readyz", "/metrics"})


def _route_template(scope: Scope) -> str:
    route = scope.get("route")  # set by the router once a route matched
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else UNMATCHED


class RequestTelemetryMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # if the app dies before answering, the client sees a 500 or nothing

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            elapsed = time.perf_counter() - started
            observe(scope["method"], _route_template(scope), status, elapsed)
            path = scope["path"]
            log = _log.debug if path in _QUIET_PATHS else _log.info
            log(
                "http_request",
                method=scope["method"],
                path=path,
                status=status,
                latency_ms=round(elapsed * 1000, 2),
            )
