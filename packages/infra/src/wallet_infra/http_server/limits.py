"""The HTTP server's limits and the raw replies that enforce them, in the platform's error
envelope (`{"error": {"code", "message", "details"}}`)."""

from __future__ import annotations

from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, Final

from wallet_domain.errors import ErrorCode

from wallet_infra.error_envelope import envelope_bytes
from wallet_infra.http_server.request_id import request_id_for

BUSY_RETRY_AFTER_S: Final = 1
# The server's own codes: no app runs for these (the API lists them in its registry).
HEADERS_TOO_LARGE: Final = "HEADERS_TOO_LARGE"
REQUEST_TIMEOUT: Final = "REQUEST_TIMEOUT"
SERVER_BUSY: Final = "SERVER_BUSY"


@dataclass(frozen=True, slots=True, kw_only=True)
class ServerLimits:
    max_header_bytes: int
    header_timeout_s: float
    body_timeout_s: float
    max_connections: int


def raw_error(
    status: int,
    code: str,
    message: str,
    details: dict[str, Any],
    headers: dict[str, str] | None = None,
) -> bytes:
    """A whole HTTP/1.1 error response in the error envelope, closing the connection:
    written straight to the transport, since no ASGI app answers these."""
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
                431,
                HEADERS_TOO_LARGE,
                f"request line and headers are larger than {limits.max_header_bytes} bytes",
                {"max_bytes": limits.max_header_bytes},
            ),
            request_timeout=raw_error(
                408, REQUEST_TIMEOUT, "the request was not received in time", {}
            ),
            server_busy=raw_error(
                503,
                SERVER_BUSY,
                "the server holds too many connections; retry shortly",
                {},
                {"retry-after": str(BUSY_RETRY_AFTER_S)},
            ),
            bad_request=raw_error(
                400, ErrorCode.VALIDATION_ERROR, "the request is not valid HTTP", {}
            ),
        )


def with_request_id(reply: bytes, incoming: bytes | None = None) -> tuple[bytes, str]:
    """`reply` (a `raw_error`) with an `x-request-id`, as every response carries one: the
    client's own if it sent a sane one, else a new one; and that id."""
    request_id = request_id_for(incoming)
    status_line, _, rest = reply.partition(b"\r\n")
    return status_line + b"\r\nx-request-id: " + request_id.encode() + b"\r\n" + rest, request_id
