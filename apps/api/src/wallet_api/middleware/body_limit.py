"""Request body limit: 413 PAYLOAD_TOO_LARGE, before reading when the size is declared.

A declared Content-Length over the limit is refused without reading a byte. A body
without one (chunked) is counted as it streams and cut at the limit: whatever the app
made of the truncated body is discarded and the client gets the 413 instead.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send
from wallet_domain.errors import ErrorCode

from wallet_api.errors.envelope import envelope_bytes
from wallet_api.errors.registry import status_for
from wallet_api.errors.responses import send_json
from wallet_api.middleware.headers import content_length


class _BodyTooLarge(Exception):
    """Raised from `receive` to stop the app reading further."""


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self._max_bytes = max_bytes
        self._body = envelope_bytes(
            ErrorCode.PAYLOAD_TOO_LARGE,
            f"request body is larger than {max_bytes} bytes",
            {"max_bytes": max_bytes},
        )

    async def _refuse(self, send: Send) -> None:
        await send_json(send, status_for(ErrorCode.PAYLOAD_TOO_LARGE), self._body)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = content_length(scope)
        if declared is not None and declared > self._max_bytes:
            await self._refuse(send)
            return
        received = 0
        exceeded = False
        started = False

        async def limited_receive() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self._max_bytes:
                    exceeded = True
                    raise _BodyTooLarge
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if exceeded:
                return  # the app's answer to a truncated body is replaced by the 413
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except Exception:
            if not exceeded:
                raise
        if exceeded and not started:
            await self._refuse(send)
