"""The event envelope codec: exact round trip, strict rejection of anything malformed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any, Final
from uuid import UUID

import orjson
import pytest
from wallet_domain.model.events import DomainEvent, EventType
from wallet_infra.messaging.envelope import MalformedEvent, decode_envelope, encode_envelope

EVENT: Final = DomainEvent(
    event_id=UUID("01900000-0000-7000-8000-000000000001"),
    event_type=EventType.PAYMENT_COMPLETED,
    occurred_at=datetime(2025, 3, 1, 12, 30, 15, 123456, tzinfo=UTC),
    aggregate_id=UUID("01900000-0000-7000-8000-000000000002"),
    user_id="alice_01",
    payload={"amount": 2**62, "currency": "USD", "note": "café ☕", "nested": {"a": [1, None]}},
)


def envelope(**changes: Any) -> bytes:
    document = orjson.loads(encode_envelope(EVENT))
    for key, value in changes.items():
        if value is ...:
            del document[key]
        else:
            document[key] = value
    return orjson.dumps(document)


def test_encodes_exactly_the_envelope_fields() -> None:
    assert orjson.loads(encode_envelope(EVENT)) == {
        "event_id": "01900000-0000-7000-8000-000000000001",
        "event_type": "payment.completed",
        "occurred_at": "2025-03-01T12:30:15.123456+00:00",
        "aggregate_id": "01900000-0000-7000-8000-000000000002",
        "user_id": "alice_01",
        "schema_version": 1,
        "payload": EVENT.payload,
    }


@pytest.mark.parametrize("event_type", list(EventType))
def test_round_trip_is_exact(event_type: EventType) -> None:
    event = DomainEvent(
        event_id=EVENT.event_id,
        event_type=event_type,
        occurred_at=EVENT.occurred_at,
        aggregate_id=EVENT.aggregate_id,
        user_id=EVENT.user_id,
        payload=EVENT.payload,
    )
    assert decode_envelope(encode_envelope(event)) == event


def test_occurred_at_is_written_in_utc() -> None:
    local = datetime(2025, 3, 1, 9, 30, tzinfo=timezone(timedelta(hours=-3)))
    event = DomainEvent(
        event_id=EVENT.event_id,
        event_type=EVENT.event_type,
        occurred_at=local,
        aggregate_id=EVENT.aggregate_id,
        user_id="bob",
    )
    document = orjson.loads(encode_envelope(event))
    assert document["occurred_at"] == "2025-03-01T12:30:00+00:00"
    assert decode_envelope(encode_envelope(event)).occurred_at == local


def test_a_naive_occurred_at_cannot_be_encoded() -> None:
    event = DomainEvent(
        event_id=EVENT.event_id,
        event_type=EVENT.event_type,
        occurred_at=datetime(2025, 3, 1, 12, 0),
        aggregate_id=EVENT.aggregate_id,
        user_id="bob",
    )
    with pytest.raises(ValueError, match="timezone"):
        encode_envelope(event)


def test_a_later_schema_version_is_accepted() -> None:
    assert decode_envelope(envelope(schema_version=2)).schema_version == 2


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"", id="empty"),
        pytest.param(b"not json", id="not-json"),
        pytest.param(b"\xff\xfe", id="not-utf8"),
        pytest.param(b"[1, 2]", id="array"),
        pytest.param(b'"text"', id="string"),
        pytest.param(b"null", id="null"),
        pytest.param(envelope(event_id=...), id="missing-event-id"),
        pytest.param(envelope(payload=...), id="missing-payload"),
        pytest.param(envelope(schema_version=...), id="missing-schema-version"),
        pytest.param(envelope(event_id="not-a-uuid"), id="bad-event-id"),
        pytest.param(envelope(event_id=42), id="numeric-event-id"),
        pytest.param(envelope(aggregate_id="zzz"), id="bad-aggregate-id"),
        pytest.param(envelope(event_type="payment.exploded"), id="unknown-event-type"),
        pytest.param(envelope(event_type=None), id="null-event-type"),
        pytest.param(envelope(occurred_at="yesterday"), id="bad-occurred-at"),
        pytest.param(envelope(occurred_at="2025-03-01T12:00:00"), id="naive-occurred-at"),
        pytest.param(envelope(occurred_at=1700000000), id="numeric-occurred-at"),
        pytest.param(envelope(occurred_at="0001-01-01T00:00:00+01:00"), id="before-utc-dates"),
        pytest.param(envelope(occurred_at="9999-12-31T23:59:59-01:00"), id="after-utc-dates"),
        pytest.param(envelope(user_id=""), id="empty-user-id"),
        pytest.param(envelope(user_id=7), id="numeric-user-id"),
        pytest.param(envelope(schema_version="1"), id="string-schema-version"),
        pytest.param(envelope(schema_version=True), id="bool-schema-version"),
        pytest.param(envelope(schema_version=0), id="zero-schema-version"),
        pytest.param(envelope(schema_version=1.0), id="float-schema-version"),
        pytest.param(envelope(occurred_at=None), id="null-occurred-at"),
        pytest.param(envelope(user_id=None), id="null-user-id"),
        pytest.param(envelope(payload=[1]), id="array-payload"),
        pytest.param(envelope(payload=None), id="null-payload"),
        # Deeper than msgspec reads (it raises RecursionError, not a DecodeError).
        pytest.param(
            envelope(payload={"n": "X"}).replace(b'"X"', b"[" * 2_000 + b"]" * 2_000),
            id="nested-too-deeply",
        ),
    ],
)
def test_malformed_envelopes_are_rejected(body: bytes) -> None:
    with pytest.raises(MalformedEvent):
        decode_envelope(body)


def test_keys_the_envelope_does_not_define_are_ignored() -> None:
    assert decode_envelope(envelope(trace_note="added by a newer producer")) == EVENT


@pytest.mark.parametrize(
    ("body", "value"),
    [
        pytest.param(envelope(event_type="payment.<secret>"), "<secret>", id="event-type"),
        pytest.param(envelope(event_id="<secret>"), "<secret>", id="event-id"),
        pytest.param(envelope(occurred_at="<secret>"), "<secret>", id="occurred-at"),
    ],
)
def test_the_rejection_reason_does_not_echo_the_value(body: bytes, value: str) -> None:
    """The reason goes to the consumer's log: it names the field, never its content."""
    with pytest.raises(MalformedEvent) as rejected:
        decode_envelope(body)
    assert value not in str(rejected.value)
