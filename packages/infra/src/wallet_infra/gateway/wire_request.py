"""The httpx.Request of one gateway attempt, built straight from its finished parts.

`httpx.Request(content=...)` works out the body's kind, looks the content type up, adds
`Host` and `Content-Length` by searching the header list and then copies the list again:
several times the CPU of handing it the final header list and the body as a stream. A
gateway request is always one of two shapes (a JSON body with an idempotency key, or no
body at all), so its headers are known up front: exactly those, in that order, that
`httpx.AsyncClient.build_request` would send.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx

_JSON: tuple[bytes, bytes] = (b"Content-Type", b"application/json")


class WireRequests:
    """Builds the gateway's requests over the client's own headers (its defaults and the
    ones it was created with), read once, to `host` (the client's base URL's `host[:port]`,
    under which every gateway URL is: httpx works it out of a URL afresh on every call)."""

    def __init__(self, client_headers: httpx.Headers, *, host: bytes) -> None:
        self._client_headers = list(client_headers.raw)
        self._host = (b"Host", host)

    def build(
        self,
        method: str,
        url: httpx.URL,
        *,
        extensions: dict[str, Any],
        idempotency_key: str | None = None,
        json_body: bytes | None = None,
        trace_headers: Sequence[tuple[bytes, bytes]] = (),
    ) -> httpx.Request:
        """`Host`, the client's headers, the trace context (`traceparent`...), then
        `Idempotency-Key`, and for a body its JSON content type and length; the body
        already read, as `Request(content=...)` has it."""
        headers = [self._host, *self._client_headers, *trace_headers]
        if idempotency_key is not None:
            headers.append((b"Idempotency-Key", idempotency_key.encode("ascii")))
        if json_body is not None:
            headers += [_JSON, (b"Content-Length", b"%d" % len(json_body))]
        request = httpx.Request(
            method,
            url,
            headers=headers,
            stream=httpx.ByteStream(json_body or b""),
            extensions=extensions,
        )
        request.read()
        return request
