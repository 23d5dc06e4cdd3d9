"""Keyset pagination over the ledger: newest first, cursor = the last id seen (UUIDv7)."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Final
from uuid import UUID

from wallet_domain.errors import ValidationError
from wallet_domain.model.transaction import LedgerEntry, TransactionStatus, TransactionType

DEFAULT_PAGE_SIZE: Final = 50
MAX_PAGE_SIZE: Final = 200
_CURSOR_PREFIX: Final = b"v1:"


def encode_cursor(last_id: UUID) -> str:
    return base64.urlsafe_b64encode(_CURSOR_PREFIX + last_id.bytes).decode().rstrip("=")


def decode_cursor(cursor: str) -> UUID:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    except (binascii.Error, ValueError) as exc:
        raise ValidationError("cursor is invalid", field="cursor") from exc
    if not raw.startswith(_CURSOR_PREFIX) or len(raw) != len(_CURSOR_PREFIX) + 16:
        raise ValidationError("cursor is invalid", field="cursor")
    return UUID(bytes=raw[len(_CURSOR_PREFIX) :])


def validate_limit(limit: int) -> int:
    if type(limit) is not int or not 1 <= limit <= MAX_PAGE_SIZE:
        raise ValidationError(f"limit must be between 1 and {MAX_PAGE_SIZE}", field="limit")
    return limit


@dataclass(frozen=True, slots=True, kw_only=True)
class LedgerFilter:
    type: TransactionType | None = None
    status: TransactionStatus | None = None
    currency: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class LedgerPage:
    items: list[LedgerEntry]
    next_cursor: str | None
