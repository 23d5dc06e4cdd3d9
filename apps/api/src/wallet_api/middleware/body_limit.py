"""Request body limit: 413 PAYLOAD_TOO_LARGE, before reading when the size is declared.

A declared Content-Length over the limit is refused without reading a byte (the edge
middleware checks it). A body without one (chunked) is counted as it streams and cut at
the limit: whatever the app made of the truncated body is discarded and the client gets
the 413 instead. A declared length within the limit needs no counting: the HTTP parser
never hands the app more bytes than the request declared.
"""

from __future__ import annotations

from starlette.types import Message, Receive
from wallet_domain.errors import ErrorCode

from wallet_api.errors.envelope import envelope_bytes


class BodyTooLarge(Exception):
    """Raised from `receive` to stop the app reading further."""


def too_large_body(max_bytes: int) -> bytes:
    """The 413's envelope (built once per app)."""
    return envelope_bytes(
        ErrorCode.PAYLOAD_TOO_LARGE,
        f"request body is larger than {max_bytes} bytes",
        {"max_bytes": max_bytes},
    )


class LimitedReceive:
    """A `receive` that raises BodyTooLarge once the body passes `max_bytes`; `exceeded`
    tells afterwards whether it did."""

    __slots__ = ("_max_bytes", "_receive", "exceeded", "received")

    def __init__(self, receive: Receive, max_bytes: int) -> None:
        self._receive = receive
        self._max_bytes = max_bytes
        self.received = 0
        self.exceeded = False

    async def __call__(self) -> Message:
        message = await self._receive()
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
            if self.received > self._max_bytes:
                self.exceeded = True
                raise BodyTooLarge
        return message
