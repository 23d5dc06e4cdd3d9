"""The error envelope `{"error": {"code", "message", "details"}}`, built in one place.

Used by the exception handlers, the middlewares and the ResponseEncoder (whose bytes are
stored for idempotent replays), so an error looks the same whichever layer answers.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import orjson
from wallet_domain.errors import DomainError, ErrorCode

_OPTIONS: Final = orjson.OPT_UTC_Z


def envelope(code: str, message: str, details: Mapping[str, Any] | None = None) -> dict[str, Any]:
    return {"error": {"code": str(code), "message": message, "details": dict(details or {})}}


def envelope_bytes(code: str, message: str, details: Mapping[str, Any] | None = None) -> bytes:
    # `default=str` keeps an unexpected detail type (say a Decimal) from turning an
    # error response into a 500; details are built by our code, never from raw input.
    return orjson.dumps(envelope(code, message, details), default=str, option=_OPTIONS)


def error_bytes(error: DomainError) -> bytes:
    return envelope_bytes(error.code, error.message, error.details)


INTERNAL_ERROR_BODY: Final = envelope_bytes(ErrorCode.INTERNAL, "internal server error")
