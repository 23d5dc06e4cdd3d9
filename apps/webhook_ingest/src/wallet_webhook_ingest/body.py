"""Read a request body up to a limit, without buffering more than the limit.

A declared Content-Length over the limit is refused before a byte is read; a chunked body
is counted as it streams and dropped at the limit.
"""

from __future__ import annotations

from starlette.requests import Request


async def body_within(request: Request, max_bytes: int) -> bytes | None:
    """The whole body, or None when it is larger than `max_bytes`."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > max_bytes:
        return None
    chunks: list[bytes] = []
    received = 0
    async for chunk in request.stream():
        received += len(chunk)
        if received > max_bytes:
            return None
        chunks.append(chunk)
    return b"".join(chunks)
