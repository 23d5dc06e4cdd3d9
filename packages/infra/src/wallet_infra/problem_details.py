"""Errors as RFC 9457 problem details, for clients that ask for them.

The error envelope stays the default. A request whose `Accept` names
`application/problem+json` (with a non-zero quality) gets every error response rewritten
into `{type, title, status, detail, instance, code, details}` with that media type:
`detail` is the envelope's message, `code` and `details` are the envelope's own, `type` a
URN per code, `instance` the request's path. The rewrite sits in one middleware over every
error source (routes, middlewares, and replies stored for idempotent replays), so both
formats always say the same thing. The webhook ingest answers its refusals the same way.
"""

from __future__ import annotations

from typing import Any, Final

import orjson

PROBLEM_JSON: Final = "application/problem+json"
TYPE_PREFIX: Final = "urn:wallet:problem:"
_PROBLEM_JSON_BYTES: Final = PROBLEM_JSON.encode()


def wants_problem_details(accept: bytes) -> bool:
    """True if an `Accept` header value names problem+json with a quality above 0."""
    if _PROBLEM_JSON_BYTES not in accept.lower():
        return False
    for media_range in accept.decode("latin-1").lower().split(","):
        media_type, *parameters = (part.strip() for part in media_range.split(";"))
        if media_type != PROBLEM_JSON:
            continue
        for parameter in parameters:
            name, _, value = parameter.partition("=")
            if name.strip() == "q":
                try:
                    return float(value) > 0
                except ValueError:
                    return False
        return True
    return False


def problem_type(code: str) -> str:
    return TYPE_PREFIX + code.lower().replace("_", "-")


def title_of(code: str) -> str:
    """`INSUFFICIENT_FUNDS` -> `Insufficient funds`."""
    return code.replace("_", " ").capitalize()


def problem(
    code: str, message: str, details: dict[str, Any], status: int, instance: str
) -> dict[str, Any]:
    return {
        "type": problem_type(code),
        "title": title_of(code),
        "status": status,
        "detail": message,
        "instance": instance,
        "code": code,
        "details": details,
    }


def problem_from_envelope(body: bytes, status: int, instance: str) -> bytes | None:
    """The problem-details bytes for an error envelope, or None if `body` is not one."""
    try:
        error = orjson.loads(body)["error"]
        code, message, details = error["code"], error["message"], error["details"]
    except (orjson.JSONDecodeError, KeyError, TypeError):
        return None
    if not isinstance(code, str) or not isinstance(message, str) or not isinstance(details, dict):
        return None
    return orjson.dumps(problem(code, message, details, status, instance))
