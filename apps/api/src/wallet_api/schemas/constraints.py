"""The domain's input rules, stated in the OpenAPI document.

Documentation only: the domain enforces them (so a violation is a VALIDATION_ERROR with
the domain's message and `details.field`); these JSON Schema keywords put the same rules
in the document, so clients, and the schemathesis run in tests/, see what is accepted.
They must match the domain exactly: looser, and valid-looking requests get a 400; tighter,
and the document rejects what the API takes.
"""

from __future__ import annotations

import base64
from typing import Annotated, Any, Final

from pydantic import Field, StrictInt, StrictStr
from wallet_domain.model.idempotency import MAX_KEY_LENGTH
from wallet_domain.model.pagination import (
    CURSOR_BODY_SIZE,
    CURSOR_PREFIX,
    LEGACY_CURSOR_BODY_SIZE,
    LEGACY_CURSOR_PREFIX,
    MAX_PAGE_SIZE,
)
from wallet_domain.model.transaction import TransactionStatus, TransactionType

# If-Match: `*` or a comma-separated list of entity tags (http/entity_tags.py; it also
# takes empty list elements and obs-text, which this leaves out).
ENTITY_TAGS_RULE: Final[dict[str, Any]] = {
    "pattern": r'^[ \t]*(\*|(W/)?"[!#-~]*"([ \t]*,[ \t]*(W/)?"[!#-~]*")*)[ \t]*$',
}
USER_ID_RULE: Final[dict[str, Any]] = {
    "pattern": r"^[A-Za-z0-9_-]{1,64}$",
    "minLength": 1,
    "maxLength": 64,
}
CURRENCY_RULE: Final[dict[str, Any]] = {"pattern": r"^[A-Z]{3}$"}  # plus the configured enum
# The domain's MAX_AMOUNT is int64's maximum, stated as `format`: FastAPI's document
# model would round an exact `maximum` to a float (2**63 - 1 -> 2**63).
AMOUNT_RULE: Final[dict[str, Any]] = {"format": "int64", "minimum": 1}
LIMIT_RULE: Final[dict[str, Any]] = {"minimum": 1, "maximum": MAX_PAGE_SIZE}
TYPE_RULE: Final[dict[str, Any]] = {"enum": [t.value for t in TransactionType]}
STATUS_RULE: Final[dict[str, Any]] = {"enum": [s.value for s in TransactionStatus]}
# Printable ASCII; no leading or trailing space, which HTTP strips from header values.
IDEMPOTENCY_KEY_RULE: Final[dict[str, Any]] = {
    "type": "string",
    "minLength": 1,
    "maxLength": MAX_KEY_LENGTH,
    "pattern": rf"^[\x21-\x7e]([\x20-\x7e]{{0,{MAX_KEY_LENGTH - 2}}}[\x21-\x7e])?$",
}


def _cursor_shape(prefix: bytes, body_size: int) -> str:
    sample = base64.urlsafe_b64encode(prefix + bytes(body_size)).decode().rstrip("=")
    head = sample[:4]  # the 3-byte version tag is exactly 4 base64 characters
    return rf"{head}[A-Za-z0-9_-]{{{len(sample) - len(head)}}}"


def _cursor_rule() -> dict[str, Any]:
    """Cursors are opaque, but only the API's own encodings decode: same prefix, same
    length (today's, and the id-only one issued before pages followed created_at)."""
    current = _cursor_shape(CURSOR_PREFIX, CURSOR_BODY_SIZE)
    legacy = _cursor_shape(LEGACY_CURSOR_PREFIX, LEGACY_CURSOR_BODY_SIZE)
    return {"pattern": rf"^({current}|{legacy})$"}


CURSOR_RULE: Final = _cursor_rule()


def printable_rule(max_length: int) -> dict[str, Any]:
    """1..max_length printable characters: no control characters."""
    return {"minLength": 1, "maxLength": max_length, "pattern": r"^[^\x00-\x1f\x7f-\x9f]+$"}


UserIdField = Annotated[StrictStr, Field(json_schema_extra=USER_ID_RULE)]
AmountField = Annotated[StrictInt, Field(json_schema_extra=AMOUNT_RULE)]
CurrencyField = Annotated[StrictStr, Field(json_schema_extra=CURRENCY_RULE)]
