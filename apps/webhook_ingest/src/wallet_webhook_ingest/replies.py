"""The ingest's answers: JSON bodies in the platform's error envelope
(`{"error": {"code", "message", "details"}}`), bytes built once where they never change."""

from __future__ import annotations

from typing import Any, Final

import orjson
from starlette.responses import Response
from wallet_domain.errors import ErrorCode

JSON: Final = "application/json"
# The ingest's own code for a webhook the broker did not take (the domain has no broker).
BROKER_UNAVAILABLE: Final = "BROKER_UNAVAILABLE"
# How long the provider should wait before retrying a webhook the broker could not take.
RETRY_AFTER_S: Final = 5


def json_response(status: int, body: dict[str, Any], **headers: str) -> Response:
    return Response(orjson.dumps(body), status, headers=headers or None, media_type=JSON)


def error_response(
    status: int, code: str, message: str, *, details: dict[str, Any] | None = None, **headers: str
) -> Response:
    body = {"error": {"code": code, "message": message, "details": details or {}}}
    return json_response(status, body, **headers)


def too_large(max_bytes: int) -> Response:
    return error_response(
        413,
        ErrorCode.PAYLOAD_TOO_LARGE,
        f"request body is larger than {max_bytes} bytes",
        details={"max_bytes": max_bytes},
    )


def unavailable(reason: str) -> Response:
    """503 with Retry-After: the webhook was not stored; the provider must send it again."""
    return error_response(
        503,
        BROKER_UNAVAILABLE,
        "webhook not accepted: the message broker did not confirm it, retry later",
        details={"reason": reason},
        **{"Retry-After": str(RETRY_AFTER_S)},
    )
