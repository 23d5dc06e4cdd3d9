"""The error envelope's shape, for OpenAPI, and the per-route error documentation."""

from __future__ import annotations

from typing import Any, Final

from wallet_api.schemas.base import ResponseBody


class ErrorBody(ResponseBody):
    code: str
    message: str
    details: dict[str, Any]


class ErrorEnvelope(ResponseBody):
    error: ErrorBody


class ProblemDetails(ResponseBody):
    """RFC 9457 problem details: the same error, for `Accept: application/problem+json`."""

    type: str  # urn:wallet:problem:<code in lower case, dashes>
    title: str
    status: int
    detail: str
    instance: str
    code: str
    details: dict[str, Any]


_DESCRIPTIONS: Final = {
    400: "VALIDATION_ERROR: bad JSON, types, ranges, unknown currency, bad cursor",
    401: "UNAUTHORIZED: missing or invalid API key",
    402: "PAYMENT_DECLINED: the gateway declined; details carry payment_id and status",
    404: "NOT_FOUND: wallet, provider, payment, hold, deposit, transfer or dispute",
    409: "INSUFFICIENT_FUNDS, WALLET_ALREADY_EXISTS, IDEMPOTENCY_IN_PROGRESS or INVALID_STATE "
    "(details.status: the current status of the hold, deposit, payment or dispute)",
    412: "PRECONDITION_FAILED: the wallet changed since the ETag sent in `If-Match`; "
    "nothing was written and the Idempotency-Key is still unused",
    413: "PAYLOAD_TOO_LARGE",
    422: "IDEMPOTENCY_KEY_REUSED: the key was used with a different request",
    429: "RATE_LIMITED: this API key's request rate is exceeded; retry after `Retry-After`",
    502: "GATEWAY_ERROR: the payment failed and was refunded",
    503: "GATEWAY_UNAVAILABLE: nothing was debited; retry after `Retry-After` seconds",
    504: "GATEWAY_TIMEOUT: details.resolution is `refunded` or `pending`",
}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route: each status documented with the envelope model. Every
    route behind the API key can answer 400, 401 and 429."""
    return {
        status: {"model": ErrorEnvelope, "description": _DESCRIPTIONS[status]}
        for status in sorted({400, 401, 429, *statuses})
    }
