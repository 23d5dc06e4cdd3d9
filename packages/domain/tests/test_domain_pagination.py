"""Keyset pagination helpers: opaque cursors and page size."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from uuid import UUID

import pytest
from hypothesis import given
from hypothesis import strategies as st
from wallet_domain.errors import ValidationError
from wallet_domain.model.pagination import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    LedgerPosition,
    decode_cursor,
    encode_cursor,
    validate_limit,
)

SOME_ID = UUID("01900000-0000-7000-8000-0000000000ff")
SOME_POSITION = LedgerPosition(created_at=datetime(2026, 1, 2, 3, 4, 5, 678901, UTC), id=SOME_ID)


def test_cursor_is_url_safe_and_unpadded() -> None:
    cursor = encode_cursor(SOME_POSITION)
    assert "=" not in cursor
    assert set(cursor) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    assert str(SOME_ID) not in cursor


@given(st.datetimes(timezones=st.just(UTC)), st.uuids())
def test_cursor_round_trips_any_position(at: datetime, value: UUID) -> None:
    position = LedgerPosition(created_at=at, id=value)
    assert decode_cursor(encode_cursor(position)) == position


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@given(st.uuids())
def test_a_v1_cursor_still_decodes_to_the_id_it_names(value: UUID) -> None:
    assert decode_cursor(_b64(b"v1:" + value.bytes)) == value


@pytest.mark.parametrize(
    ("micros", "expected"),
    [
        (2**63 - 1, datetime.max.replace(tzinfo=UTC)),
        (-(2**63), datetime.min.replace(tzinfo=UTC)),
    ],
)
def test_a_time_beyond_any_entry_reads_as_the_nearest_end(micros: int, expected: datetime) -> None:
    """Any cursor of the documented shape decodes (the page is the same as at either end)."""
    cursor = _b64(b"v2:" + micros.to_bytes(8, "big", signed=True) + SOME_ID.bytes)
    assert decode_cursor(cursor) == LedgerPosition(created_at=expected, id=SOME_ID)


@pytest.mark.parametrize(
    "cursor",
    [
        "",
        "A",
        "not a cursor!",
        "%%%%",
        "ünïcode",
        _b64(SOME_ID.bytes),  # no version prefix
        _b64(b"v3:" + bytes(8) + SOME_ID.bytes),  # unknown version
        _b64(b"v2:" + SOME_ID.bytes),  # no time
        _b64(b"v1:" + SOME_ID.bytes[:15]),  # truncated
        _b64(b"v1:" + SOME_ID.bytes + b"\x00"),  # trailing byte
        _b64(b"v2:" + bytes(8) + SOME_ID.bytes + b"\x00"),  # trailing byte
        encode_cursor(SOME_POSITION)[:-2],
        encode_cursor(SOME_POSITION) + "A",
    ],
)
def test_garbage_cursors_are_validation_errors(cursor: str) -> None:
    with pytest.raises(ValidationError) as caught:
        decode_cursor(cursor)
    assert caught.value.details == {"field": "cursor"}


@given(st.text(max_size=40))
def test_decoding_arbitrary_text_never_fails_other_than_validation(cursor: str) -> None:
    try:
        decoded = decode_cursor(cursor)
    except ValidationError:
        return
    assert isinstance(decoded, LedgerPosition | UUID)


def test_page_size_limits_match_the_spec() -> None:
    assert (DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE) == (50, 200)


@pytest.mark.parametrize("limit", [1, 50, 200])
def test_limit_accepts_1_to_200(limit: int) -> None:
    assert validate_limit(limit) == limit


@pytest.mark.parametrize("limit", [0, -1, 201, 10_000])
def test_limit_rejects_out_of_range(limit: int) -> None:
    with pytest.raises(ValidationError) as caught:
        validate_limit(limit)
    assert caught.value.details == {"field": "limit"}
