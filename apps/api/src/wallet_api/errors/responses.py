"""Error responses for handlers and middlewares (Starlette Response or raw ASGI)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from starlette.responses import Response
from starlette.types import Send
from wallet_domain.errors import DomainError

from wallet_api.errors.envelope import error_bytes
from wallet_api.errors.registry import headers_for, status_for

JSON: Final = "application/json"


def error_response(error: DomainError) -> Response:
    return Response(
        content=error_bytes(error),
        status_code=status_for(error.code),
        headers=headers_for(error),
        media_type=JSON,
    )


async def send_json(
    send: Send, status: int, body: bytes, headers: Mapping[str, str] | None = None
) -> None:
    """Answer straight from an ASGI middleware, without building a Starlette Response."""
    raw = [(b"content-type", JSON.encode()), (b"content-length", str(len(body)).encode())]
    raw += [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body, "more_body": False})


async def send_error(send: Send, error: DomainError) -> None:
    await send_json(send, status_for(error.code), error_bytes(error), headers_for(error))
