"""Idempotency rules: key format, request fingerprint, what a repeat gets."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest
from wallet_domain.errors import IdempotencyInProgress, IdempotencyKeyReused, ValidationError
from wallet_domain.model.idempotency import (
    MAX_KEY_LENGTH,
    IdempotencyRecord,
    IdempotencyState,
    Reply,
    StoredResponse,
    fingerprint,
    reply_to_existing,
    validate_idempotency_key,
)
from wallet_testkit.fakes.clock import EPOCH

PAYMENT_FIELDS: dict[str, Any] = {
    "user_id": "alice",
    "provider_id": "018f0000-0000-7000-8000-00000000a001",
    "external_reference": "bill-42",
    "amount": 2500,
    "currency": "USD",
}


@pytest.mark.parametrize(
    "key", ["k", "x" * MAX_KEY_LENGTH, "2f1c-uuid-like-9a", " ", "~!@#$%^&*()_+{}|:<>?"]
)
def test_key_accepts_1_to_255_printable_ascii(key: str) -> None:
    assert validate_idempotency_key(key) == key


def test_missing_key_is_a_validation_error_naming_the_header() -> None:
    with pytest.raises(ValidationError) as caught:
        validate_idempotency_key(None)
    assert caught.value.details == {"field": "Idempotency-Key"}
    assert "required" in caught.value.message


@pytest.mark.parametrize(
    "key",
    ["", "x" * (MAX_KEY_LENGTH + 1), "café", "key\n", "key\t1", "\x00", "del\x7f", "ключ", "🔑"],
)
def test_key_rejects_bad_length_and_non_printable_ascii(key: str) -> None:
    with pytest.raises(ValidationError) as caught:
        validate_idempotency_key(key)
    assert caught.value.details == {"field": "Idempotency-Key"}
    assert "1-255" in caught.value.message


def test_fingerprint_is_a_stable_sha256_independent_of_field_order() -> None:
    first = fingerprint("payment", PAYMENT_FIELDS)
    reordered = fingerprint("payment", dict(reversed(list(PAYMENT_FIELDS.items()))))
    assert first == reordered == fingerprint("payment", dict(PAYMENT_FIELDS))
    assert len(first) == 64
    int(first, 16)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("user_id", "bob"),
        ("provider_id", "018f0000-0000-7000-8000-00000000a002"),
        ("external_reference", "bill-43"),
        ("amount", 2501),
        ("amount", "2500"),
        ("currency", "EUR"),
    ],
)
def test_fingerprint_changes_with_any_field(field: str, value: Any) -> None:
    assert fingerprint("payment", PAYMENT_FIELDS) != fingerprint(
        "payment", {**PAYMENT_FIELDS, field: value}
    )


def test_fingerprint_tells_operations_apart() -> None:
    fields = {"user_id": "alice", "amount": 1, "currency": "USD"}
    assert fingerprint("payment", fields) != fingerprint("deposit", fields)


def test_fingerprint_tells_missing_reference_from_empty_one() -> None:
    base = {"user_id": "alice", "amount": 1, "currency": "USD"}
    assert fingerprint("deposit", {**base, "reference": None}) != fingerprint(
        "deposit", {**base, "reference": ""}
    )


def test_fingerprint_serialises_non_json_values() -> None:
    provider = UUID("018f0000-0000-7000-8000-00000000a001")
    assert fingerprint("payment", {"provider_id": provider}) == fingerprint(
        "payment", {"provider_id": str(provider)}
    )


def test_fingerprint_digest_is_pinned_so_stored_keys_still_match_after_an_upgrade() -> None:
    fields = {
        "user_id": "alice",
        "provider_id": UUID("018f0000-0000-7000-8000-00000000a001"),
        "external_reference": "facture n\u00b0 42 \u2013 \u00e9t\u00e9",
        "amount": 2500,
        "currency": "EUR",
        "reference": None,
    }
    assert fingerprint("payment", fields) == (
        "529510899bb3e99601a6a53f260fa6b4e0f2e081d2e44abaa2e1bbcddba9ef3c"
    )


def _record(
    *, state: IdempotencyState, response: StoredResponse | None = None
) -> IdempotencyRecord:
    return IdempotencyRecord(
        user_id="alice",
        key="k-1",
        fingerprint=fingerprint("payment", PAYMENT_FIELDS),
        state=state,
        created_at=EPOCH,
        response=response,
    )


def test_completed_record_with_the_same_request_replays_the_stored_response() -> None:
    stored = StoredResponse(201, b'{"id":"x"}')
    reply = reply_to_existing(
        _record(state=IdempotencyState.COMPLETED, response=stored),
        fingerprint("payment", PAYMENT_FIELDS),
    )
    assert reply == Reply(stored, replayed=True)
    assert reply.response.body == b'{"id":"x"}'


def test_a_different_request_under_the_same_key_is_a_reuse() -> None:
    other = fingerprint("payment", {**PAYMENT_FIELDS, "amount": 1})
    for state in IdempotencyState:
        with pytest.raises(IdempotencyKeyReused):
            reply_to_existing(_record(state=state, response=StoredResponse(201, b"{}")), other)


def test_same_request_still_in_flight_is_in_progress() -> None:
    with pytest.raises(IdempotencyInProgress):
        reply_to_existing(
            _record(state=IdempotencyState.IN_PROGRESS), fingerprint("payment", PAYMENT_FIELDS)
        )


def test_completed_without_a_stored_response_is_treated_as_in_progress() -> None:
    with pytest.raises(IdempotencyInProgress):
        reply_to_existing(
            _record(state=IdempotencyState.COMPLETED), fingerprint("payment", PAYMENT_FIELDS)
        )


def test_a_fresh_reply_is_not_a_replay() -> None:
    assert Reply(StoredResponse(201, b"{}")).replayed is False
