"""The one mapping from error code to HTTP status (the table in docs/api.md, Errors).

Keyed by the code string so API-only codes sit next to the domain's: METHOD_NOT_ALLOWED
(a wrong verb is neither bad input nor a missing resource) and the HTTP server's own
refusals, sent before the app runs (headers too large, a request too slow to arrive, a
process already holding its most connections).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from wallet_domain.errors import DomainError, ErrorCode, RetryLater
from wallet_infra.http_server.limits import HEADERS_TOO_LARGE, REQUEST_TIMEOUT, SERVER_BUSY

METHOD_NOT_ALLOWED: Final = "METHOD_NOT_ALLOWED"

HTTP_STATUS: Final[Mapping[str, int]] = MappingProxyType(
    {
        ErrorCode.VALIDATION_ERROR: 400,
        ErrorCode.UNAUTHORIZED: 401,
        ErrorCode.PAYMENT_DECLINED: 402,
        ErrorCode.NOT_FOUND: 404,
        METHOD_NOT_ALLOWED: 405,
        REQUEST_TIMEOUT: 408,
        ErrorCode.INSUFFICIENT_FUNDS: 409,
        ErrorCode.WALLET_ALREADY_EXISTS: 409,
        ErrorCode.IDEMPOTENCY_IN_PROGRESS: 409,
        ErrorCode.INVALID_STATE: 409,
        ErrorCode.PRECONDITION_FAILED: 412,
        ErrorCode.PAYLOAD_TOO_LARGE: 413,
        ErrorCode.IDEMPOTENCY_KEY_REUSED: 422,
        ErrorCode.RATE_LIMITED: 429,
        HEADERS_TOO_LARGE: 431,
        ErrorCode.INTERNAL: 500,
        ErrorCode.GATEWAY_ERROR: 502,
        ErrorCode.GATEWAY_UNAVAILABLE: 503,
        SERVER_BUSY: 503,
        ErrorCode.GATEWAY_TIMEOUT: 504,
    }
)


def status_for(code: str) -> int:
    """The HTTP status of `code`; an unmapped code is a bug, reported as 500."""
    return HTTP_STATUS.get(code, 500)


def headers_for(error: DomainError) -> dict[str, str]:
    """Extra headers an error carries: `Retry-After` when the client should come back."""
    if isinstance(error, RetryLater):
        return {"Retry-After": str(max(1, error.retry_after_s))}
    return {}
