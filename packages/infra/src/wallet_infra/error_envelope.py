"""The error envelope `{"error": {"code", "message", "details"}}`, built in one place for
every process that answers HTTP: the API (its handlers, middlewares and the replies it
stores for idempotent replays), the webhook ingest, and the HTTP server's own refusals,
so an error looks the same whoever answers.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import orjson

_OPTIONS: Final = orjson.OPT_UTC_Z


def envelope(code: str, message: str, details: Mapping[str, Any] | None = None) -> dict[str, Any]:
    return {"error": {"code": str(code), "message": message, "details": dict(details or {})}}


def envelope_bytes(code: str, message: str, details: Mapping[str, Any] | None = None) -> bytes:
    # `default=str` keeps an unexpected detail type (say a Decimal) from turning an
    # error response into a 500; details are built by our code, never from raw input.
    return orjson.dumps(envelope(code, message, details), default=str, option=_OPTIONS)
