"""Parameters shared by several routes, documented with the domain's rules
(schemas/constraints.py); the domain enforces them."""

from __future__ import annotations

from typing import Annotated, Final

from fastapi import Depends, Header, Path, Query
from fastapi.params import Depends as DependsParam

from wallet_api.http.consistency import CONSISTENCY_HEADER
from wallet_api.schemas.constraints import (
    CURRENCY_RULE,
    CURSOR_RULE,
    ENTITY_TAGS_RULE,
    LIMIT_RULE,
    STATUS_RULE,
    TYPE_RULE,
    USER_ID_RULE,
)

IDEMPOTENCY_KEY_HEADER: Final = "Idempotency-Key"
# `openapi_extra` of a route whose Idempotency-Key is optional (settling holds, deposits).
OPTIONAL_KEY: Final = "x-idempotency-key-optional"

# Optional at the HTTP layer on purpose: the domain reports a missing key as
# VALIDATION_ERROR (400) with the same message as a malformed one. The OpenAPI document
# marks it required (openapi.py).
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias=IDEMPOTENCY_KEY_HEADER,
        description="1-255 printable ASCII characters; same key + same body replays the "
        "first reply byte for byte (with `Idempotent-Replayed: true`).",
    ),
]
IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        description="The wallet's `ETag` (from GET /wallets/{user_id} or its /balance), or a "
        "list of them, or `*`: the write happens only if the wallet is still at that version, "
        "else 412 PRECONDITION_FAILED with nothing written and the Idempotency-Key unused. "
        "Not a list of entity tags: 400.",
        json_schema_extra=ENTITY_TAGS_RULE,
    ),
]
IfNoneMatch = Annotated[
    str | None,
    Header(
        alias="If-None-Match",
        description="`ETag`s the client holds (or `*`): 304 with no body if the current one is "
        "among them (weak comparison).",
    ),
]
UserId = Annotated[
    str, Path(description="1-64 characters of [A-Za-z0-9_-]", json_schema_extra=USER_ID_RULE)
]
CurrencyFilter = Annotated[
    str | None,
    Query(description="an ISO-4217 code the API supports", json_schema_extra=CURRENCY_RULE),
]
PageLimit = Annotated[int, Query(description="1-200", json_schema_extra=LIMIT_RULE)]
PageCursor = Annotated[
    str | None,
    Query(description="`next_cursor` of the previous page", json_schema_extra=CURSOR_RULE),
]
TypeFilter = Annotated[str | None, Query(alias="type", json_schema_extra=TYPE_RULE)]
StatusFilter = Annotated[str | None, Query(json_schema_extra=STATUS_RULE)]


async def _consistency_header(
    value: Annotated[
        str | None,
        Header(
            alias=CONSISTENCY_HEADER,
            description="`strong`: read from the primary database (your own latest writes "
            "included). Without it this read may come from a replica up to "
            "WALLET_REPLICA_MAX_LAG_MS behind.",
        ),
    ] = None,
) -> None:
    """Only documents the header: the container reads it (http/consistency.py). Async
    because FastAPI runs a plain `def` dependency in a worker thread, per request."""


# `dependencies=` of the routes whose reads may come from a replica.
LAG_TOLERANT: Final[list[DependsParam]] = [Depends(_consistency_header)]
