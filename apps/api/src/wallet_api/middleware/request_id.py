"""`X-Request-ID`: taken from the client when sane, else generated; echoed and logged."""

from __future__ import annotations

import re
import uuid
from typing import Final

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from wallet_api.http.context import REQUEST_ID, state_of
from wallet_api.middleware.headers import header

# Anything else (too long, spaces, control characters) could forge log lines: replace it.
_SANE: Final = re.compile(r"[A-Za-z0-9._:-]{1,128}")
_HEADER: Final = b"x-request-id"


class RequestIdMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = header(scope, _HEADER)
        request_id = incoming if incoming and _SANE.fullmatch(incoming) else uuid.uuid4().hex
        state_of(scope)[REQUEST_ID] = request_id
        raw_id = request_id.encode()

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [*message.get("headers", ()), (_HEADER, raw_id)]
                message = {**message, "headers": headers}
            await send(message)

        with structlog.contextvars.bound_contextvars(request_id=request_id):
            await self.app(scope, receive, send_with_id)
