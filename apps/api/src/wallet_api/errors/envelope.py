"""The error envelope `{"error": {"code", "message", "details"}}` as the API answers it (built
by `wallet_infra.error_envelope`, which the webhook ingest and the HTTP server use too).

Used by the exception handlers, the middlewares and the ResponseEncoder (whose bytes are
stored for idempotent replays), so an error looks the same whichever layer answers.
"""

from __future__ import annotations

from typing import Final

from wallet_domain.errors import DomainError, ErrorCode
from wallet_infra.error_envelope import envelope_bytes

__all__ = ["INTERNAL_ERROR_BODY", "envelope_bytes", "error_bytes"]


def error_bytes(error: DomainError) -> bytes:
    return envelope_bytes(error.code, error.message, error.details)


INTERNAL_ERROR_BODY: Final = envelope_bytes(ErrorCode.INTERNAL, "internal server error")
