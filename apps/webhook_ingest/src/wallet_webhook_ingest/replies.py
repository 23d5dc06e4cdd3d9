"""The ingest's answers: JSON bodies in the platform's error envelope
(`{"error": {"code", "message", "details"}}`), or as problem details for a client that
asks for them (`Accept: application/problem+json`), as the API answers."""

from __future__ import annotations

from typing import Any, Final

import orjson
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from wallet_domain.errors import ErrorCode
from wallet_infra.error_envelope import envelope_bytes
from wallet_infra.problem_details import (
    PROBLEM_JSON,
    problem_from_envelope,
    wants_problem_details,
)

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
    body = envelope_bytes(code, message, details)
    return Response(body, status, headers=headers or None, media_type=JSON)


def as_problem(response: Response, instance: str) -> Response:
    """`response`, an error envelope, as RFC 9457 problem details (for a client whose
    `Accept` asks for them), its status and headers kept."""
    problem = problem_from_envelope(bytes(response.body), response.status_code, instance)
    if problem is None:
        return response
    headers = {k: v for k, v in response.headers.items() if k not in _BODY_HEADERS}
    return Response(problem, response.status_code, headers=headers, media_type=PROBLEM_JSON)


_BODY_HEADERS: Final = frozenset({"content-length", "content-type"})


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


# The router's own refusals (no such path, another method), in the envelope as well.
_ROUTER_ERRORS: Final = {
    404: (ErrorCode.NOT_FOUND, "not found"),
    405: ("METHOD_NOT_ALLOWED", "method not allowed"),
}


async def on_http_exception(request: Request, exc: Exception) -> Response:
    """Starlette's 404 and 405 as error envelopes (its default is a plain-text body)."""
    assert isinstance(exc, HTTPException)
    code, message = _ROUTER_ERRORS.get(exc.status_code, (ErrorCode.INTERNAL, "internal error"))
    status = exc.status_code if exc.status_code in _ROUTER_ERRORS else 500
    allow = exc.headers.get("Allow") if exc.headers else None
    response = error_response(status, code, message)
    if allow:
        response.headers["Allow"] = allow
    if wants_problem_details(request.headers.get("accept", "").encode("latin-1")):
        return as_problem(response, request.url.path)
    return response
