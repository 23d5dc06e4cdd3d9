"""Keyset pagination helpers: opaque cursors and page size."""

from __future__ import annotations

import base64
from uuid import UUID

import pytest
from hypothesis import given
from hypothesis import strategies as st
from wallet_domain.errors import ValidationError
from wallet_domain.model.pagination import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    decode_cursor,
    encode_cursor,
    validate_limit,
)

SOME_ID = UUID("01900000-0000-7000-8000-0000000000ff")


def test_cursor_is_url_safe_and_unpadded() -> None:
    cursor = encode_cursor(SOME_ID)
    assert "=" not in cursor
    assert set(cursor) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    assert str(SOME_ID) not in cursor


@given(st.uuids())
def test_cursor_round_trips_any_uuid(value: UUID) -> None:
    assert decode_cursor(encode_cursor(value)) == value


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        "",
        "A",
        "not a cursor!",
        "%%%%",
        "ünïcode",
        _b64(SOME_ID.bytes),  # no version prefix
        _b64(b"v2:" + SOME_ID.bytes),  # unknown version
        _b64(b"v1:" + SOME_ID.bytes[:15]),  # truncated
        _b64(b"v1:" + SOME_ID.bytes + b"\x00"),  # trailing byte
        encode_cursor(SOME_ID)[:-2],
        encode_cursor(SOME_ID) + "A",
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
    assert isinstance(decoded, UUID)


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
