"""The HTTP server's limits, from the settings, and the raw replies that enforce them."""

from __future__ import annotations

from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from wallet_domain.errors import ErrorCode
from wallet_infra.config.settings import Settings

from wallet_api.errors.envelope import envelope_bytes
from wallet_api.errors.registry import (
    HEADERS_TOO_LARGE,
    REQUEST_TIMEOUT,
    SERVER_BUSY,
    status_for,
)
from wallet_api.http.request_id import request_id_for

BUSY_RETRY_AFTER_S = 1


@dataclass(frozen=True, slots=True, kw_only=True)
class ServerLimits:
    max_header_bytes: int
    header_timeout_s: float
    body_timeout_s: float
    max_connections: int

    @classmethod
    def from_settings(cls, settings: Settings) -> ServerLimits:
        return cls(
            max_header_bytes=settings.api_max_header_bytes,
            header_timeout_s=settings.api_header_timeout_s,
            body_timeout_s=settings.api_body_timeout_s,
            max_connections=settings.api_max_connections,
        )


def raw_error(
    code: str, message: str, details: dict[str, Any], headers: dict[str, str] | None = None
) -> bytes:
    """A whole HTTP/1.1 error response with the API's envelope, closing the connection:
    written straight to the transport, since no ASGI app answers these."""
    status = status_for(code)
    body = envelope_bytes(code, message, details)
    lines = [
        f"HTTP/1.1 {status} {HTTPStatus(status).phrase}",
        "content-type: application/json",
        f"content-length: {len(body)}",
        "connection: close",
        *(f"{name}: {value}" for name, value in (headers or {}).items()),
    ]
    return "\r\n".join(lines).encode("ascii") + b"\r\n\r\n" + body


@dataclass(frozen=True, slots=True)
class Refusals:
    """The replies, built once per process (not per connection)."""

    headers_too_large: bytes
    request_timeout: bytes
    server_busy: bytes
    bad_request: bytes  # the HTTP parser cannot read the request

    @classmethod
    def for_limits(cls, limits: ServerLimits) -> Refusals:
        return cls(
            headers_too_large=raw_error(
                HEADERS_TOO_LARGE,
                f"request line and headers are larger than {limits.max_header_bytes} bytes",
                {"max_bytes": limits.max_header_bytes},
            ),
            request_timeout=raw_error(REQUEST_TIMEOUT, "the request was not received in time", {}),
            server_busy=raw_error(
                SERVER_BUSY,
                "the server holds too many connections; retry shortly",
                {},
                {"retry-after": str(BUSY_RETRY_AFTER_S)},
            ),
            bad_request=raw_error(ErrorCode.VALIDATION_ERROR, "the request is not valid HTTP", {}),
        )


def with_request_id(reply: bytes, incoming: bytes | None = None) -> tuple[bytes, str]:
    """`reply` (a `raw_error`) with an `x-request-id`, as every response carries one: the
    client's own if it sent a sane one, else a new one; and that id."""
    request_id = request_id_for(incoming)
    status_line, _, rest = reply.partition(b"\r\n")
    return status_line + b"\r\nx-request-id: " + request_id.encode() + b"\r\n" + rest, request_id
