"""Exception handlers: every error leaves as the one error envelope with its mapped status.

Unexpected exceptions are not handled here: they reach the recovery middleware, which
logs the traceback server-side and answers a bare INTERNAL envelope.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Final

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match, Route
from wallet_domain.errors import DomainError, ErrorCode

from wallet_api.errors.envelope import envelope_bytes
from wallet_api.errors.registry import METHOD_NOT_ALLOWED, status_for
from wallet_api.errors.responses import JSON, error_response
from wallet_api.errors.schema_fields import body_model
from wallet_api.errors.validation import validation_details

# Framework HTTP errors by status: (code, message). Detail strings are never forwarded.
_FRAMEWORK_ERRORS: Final = {
    400: (ErrorCode.VALIDATION_ERROR, "request is invalid"),
    401: (ErrorCode.UNAUTHORIZED, "missing or invalid API key"),
    404: (ErrorCode.NOT_FOUND, "not found"),
    405: (METHOD_NOT_ALLOWED, "method not allowed"),
    413: (ErrorCode.PAYLOAD_TOO_LARGE, "request body is too large"),
    422: (ErrorCode.VALIDATION_ERROR, "request is invalid"),
}


async def on_domain_error(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, DomainError)
    return error_response(exc)


async def on_request_validation(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    details = validation_details(exc.errors(), body_model(request.scope))
    body = envelope_bytes(ErrorCode.VALIDATION_ERROR, "request is invalid", details)
    return Response(body, status_code=400, media_type=JSON)


def _routes(routes: Iterable[BaseRoute]) -> Iterator[Route]:
    """Every endpoint route, inside included routers too (their paths carry no prefix)."""
    for route in routes:
        if isinstance(route, Route):
            yield route
        included = getattr(route, "original_router", None)  # FastAPI's included router
        if included is not None:
            yield from _routes(included.routes)


def _allowed_methods(request: Request) -> str | None:
    """Every method some route takes on this path. Starlette's `Allow` names only the
    first route that matched the path, and one path may have a route per method
    (`GET` and `POST /wallets/{user_id}/holds`)."""
    methods: set[str] = set()
    for route in _routes(request.app.router.routes):
        if route.methods and route.matches(request.scope)[0] is not Match.NONE:
            methods |= route.methods
    return ", ".join(sorted(methods)) or None


async def on_http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code, message = _FRAMEWORK_ERRORS.get(exc.status_code, (ErrorCode.INTERNAL, "internal error"))
    status = exc.status_code if exc.status_code in _FRAMEWORK_ERRORS else status_for(code)
    allow = exc.headers.get("Allow") if exc.headers else None
    if allow is not None:
        allow = _allowed_methods(request) or allow
    headers = {"Allow": allow} if allow is not None else None
    return Response(envelope_bytes(code, message), status, headers=headers, media_type=JSON)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, on_domain_error)
    app.add_exception_handler(RequestValidationError, on_request_validation)
    app.add_exception_handler(HTTPException, on_http_exception)
