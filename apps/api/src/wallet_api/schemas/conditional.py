"""OpenAPI documentation of conditional reads: the ETag a read returns, and its 304."""

from __future__ import annotations

from typing import Any, Final

from wallet_api.schemas.errors import error_responses

_ETAG: Final = {
    "ETag": {
        "description": "Strong entity tag of the resource; send it back in `If-None-Match` "
        "(and, a wallet's, in `If-Match` on its money-moving writes).",
        "schema": {"type": "string", "example": '"v42"'},
    }
}


def conditional_read_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a read with an ETag: 200 and 304 carry it, plus the errors."""
    return {
        200: {"headers": _ETAG},
        304: {
            "description": "Not Modified: `If-None-Match` names the current ETag; no body.",
            "headers": _ETAG,
        },
        **error_responses(*statuses),
    }
