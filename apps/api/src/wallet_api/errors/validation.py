"""Request-validation failures as VALIDATION_ERROR details that never echo the input.

Pydantic errors carry the rejected input, a docs URL and, for some types, fragments of
the input inside the message; only the location and a fixed or input-free message are
kept.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

_MAX_NAME: Final = 64
_MAX_ERRORS: Final = 20
# Messages of these types quote the input (e.g. the offending character); use our own.
_SAFE_MESSAGES: Final[Mapping[str, str]] = {
    "json_invalid": "Body is not valid JSON",
    "uuid_parsing": "Input should be a valid UUID",
    "uuid_type": "Input should be a valid UUID",
    "uuid_version": "Input should be a valid UUID",
}


def _name(part: Any) -> str:
    return str(part)[:_MAX_NAME]


def _field_error(error: Mapping[str, Any]) -> dict[str, str]:
    loc: Sequence[Any] = error.get("loc", ())
    where = _name(loc[0]) if loc else "request"
    field = ".".join(_name(p) for p in loc[1:])
    kind = str(error.get("type", ""))
    message = _SAFE_MESSAGES.get(kind) or str(error.get("msg", "is invalid"))
    if kind == "json_invalid":
        field = ""  # the location is a byte offset into the raw body
    return {"in": where, "field": field, "message": message}


def validation_details(errors: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    items = [_field_error(e) for e in errors]
    return {"errors": items[:_MAX_ERRORS]}
