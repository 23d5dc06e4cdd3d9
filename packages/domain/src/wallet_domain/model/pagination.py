"""Keyset pagination over a wallet's lists (history, holds, disputes): newest first by
(created_at, id), the order the timestamps a client sees agree with.

A cursor names the last item of the previous page by its position, so the next page is
a range of one index whatever its depth. `v2` cursors carry the position itself; `v1`
cursors (issued when pages were ordered by id alone) carry only the item's id and are
still read: the use case looks the item up to find its position.
"""

from __future__ import annotations

import base64
import binascii
import struct
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final, Generic, Protocol, TypeVar
from uuid import UUID

from wallet_domain.errors import ValidationError
from wallet_domain.model.transaction import TransactionStatus, TransactionType

Item = TypeVar("Item")

DEFAULT_PAGE_SIZE: Final = 50
MAX_PAGE_SIZE: Final = 200
CURSOR_PREFIX: Final = b"v2:"
LEGACY_CURSOR_PREFIX: Final = b"v1:"
_MICROS: Final = struct.Struct(">q")
_ID_SIZE: Final = 16
# What follows each prefix: microseconds since the epoch and the id; the id alone.
CURSOR_BODY_SIZE: Final = _MICROS.size + _ID_SIZE
LEGACY_CURSOR_BODY_SIZE: Final = _ID_SIZE
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_EARLIEST: Final = datetime.min.replace(tzinfo=UTC)
_LATEST: Final = datetime.max.replace(tzinfo=UTC)


class Positioned(Protocol):
    """An item of a wallet's list: a ledger entry, a hold, a dispute."""

    @property
    def created_at(self) -> datetime: ...
    @property
    def id(self) -> UUID: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class LedgerPosition:
    """Where an item sits in one of a wallet's lists (its history, holds or disputes):
    newest first by created_at, ties by id."""

    created_at: datetime
    id: UUID

    @classmethod
    def of(cls, item: Positioned) -> LedgerPosition:
        return cls(created_at=item.created_at, id=item.id)


def encode_cursor(last: LedgerPosition) -> str:
    micros = (last.created_at - _EPOCH) // timedelta(microseconds=1)
    raw = CURSOR_PREFIX + _MICROS.pack(micros) + last.id.bytes
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> LedgerPosition | UUID:
    """The position a cursor names, or for a `v1` cursor the id of the item it names."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    except (binascii.Error, ValueError) as exc:
        raise ValidationError("cursor is invalid", field="cursor") from exc
    if (
        raw.startswith(LEGACY_CURSOR_PREFIX)
        and len(raw) == len(LEGACY_CURSOR_PREFIX) + LEGACY_CURSOR_BODY_SIZE
    ):
        return UUID(bytes=raw[len(LEGACY_CURSOR_PREFIX) :])
    if not raw.startswith(CURSOR_PREFIX) or len(raw) != len(CURSOR_PREFIX) + CURSOR_BODY_SIZE:
        raise ValidationError("cursor is invalid", field="cursor")
    (micros,) = _MICROS.unpack_from(raw, len(CURSOR_PREFIX))
    return LedgerPosition(
        created_at=_instant(micros), id=UUID(bytes=raw[len(CURSOR_PREFIX) + _MICROS.size :])
    )


def _instant(micros: int) -> datetime:
    """Microseconds since the epoch; beyond what a datetime holds, the nearest end (no
    item lies beyond either, so the page is the same)."""
    try:
        return _EPOCH + timedelta(microseconds=micros)
    except OverflowError:
        return _LATEST if micros > 0 else _EARLIEST


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
class Page(Generic[Item]):
    """One page of a list (history, holds, disputes); `next_cursor` is null on the last."""

    items: list[Item]
    next_cursor: str | None
