"""Request-validation failures as VALIDATION_ERROR details that never echo the input.

Pydantic errors carry the rejected input, a docs URL and, for some types, fragments of
the input inside the message; only the location and a fixed or input-free message are
kept. Inside a body, the location is cut where it leaves the route's schema: an unknown
or repeated key the client made up is described, never quoted.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

from pydantic import BaseModel

from wallet_api.errors.schema_fields import schema_prefix

_MAX_NAME: Final = 64
_MAX_ERRORS: Final = 20
# Messages of these types quote the input (e.g. the offending character); use our own.
_SAFE_MESSAGES: Final[Mapping[str, str]] = {
    "json_invalid": "Body is not valid JSON",
    "uuid_parsing": "Input should be a valid UUID",
    "uuid_type": "Input should be a valid UUID",
    "uuid_version": "Input should be a valid UUID",
    "duplicate_key": "Duplicate field",
}
# The same, when the field is not in the schema (`field` then names its parent).
_NOT_IN_SCHEMA: Final[Mapping[str, str]] = {
    "extra_forbidden": "Unknown field (not in the schema)",
    "duplicate_key": "Duplicate field (not in the schema)",
}


def _name(part: Any) -> str:
    return str(part)[:_MAX_NAME]


def _field_error(error: Mapping[str, Any], model: type[BaseModel] | None) -> dict[str, str]:
    loc: Sequence[Any] = error.get("loc", ())
    where = _name(loc[0]) if loc else "request"
    kind = str(error.get("type", ""))
    message = _SAFE_MESSAGES.get(kind) or str(error.get("msg", "is invalid"))
    if kind == "json_invalid":
        return {"in": where, "field": "", "message": message}  # loc: a byte offset
    names = [_name(p) for p in loc[1:]]
    if where == "body":
        names, in_schema = schema_prefix(model, loc[1:])
        if not in_schema:
            message = _NOT_IN_SCHEMA.get(kind, message)
    return {"in": where, "field": ".".join(names), "message": message}


def validation_details(
    errors: Iterable[Mapping[str, Any]], model: type[BaseModel] | None = None
) -> dict[str, Any]:
    """`model`: the route's body schema; without it no body field name is shown."""
    items = [_field_error(e, model) for e in errors]
    return {"errors": items[:_MAX_ERRORS]}
