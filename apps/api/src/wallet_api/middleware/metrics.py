"""Feeds the HTTP metrics; sits outside recovery so 500s are counted too."""

from __future__ import annotations

import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from wallet_api.ops.http_metrics import UNMATCHED, observe


def _route_template(scope: Scope) -> str:
    route = scope.get("route")  # set by the router once a route matched
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else UNMATCHED


class MetricsMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            observe(scope["method"], _route_template(scope), status, time.perf_counter() - started)
