"""Last line of defence: an unexpected exception becomes a bare 500 envelope.

The traceback goes to the server log only; the client learns nothing about the cause
(no exception text, SQL or driver message), just the request id to quote.
"""

from __future__ import annotations

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from wallet_api.errors.envelope import INTERNAL_ERROR_BODY
from wallet_api.errors.responses import send_json

_log = structlog.get_logger("wallet_api.recovery")


class RecoveryMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def track(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, track)
        except Exception:
            _log.exception("unhandled_error", method=scope["method"], path=scope["path"])
            if not started:
                await send_json(send, 500, INTERNAL_ERROR_BODY)
