"""The event envelope on the wire (docs/events.md): JSON (orjson) of exactly the domain
event's fields.

`decode_envelope` is strict: a consumer that cannot trust a field must not act on the
message, so anything malformed raises `MalformedEvent` (the consumer dead-letters it)
rather than being half-understood.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Final
from uuid import UUID

import orjson
from wallet_domain.model.events import DomainEvent, EventType
from wallet_domain.model.outbox_message import OutboxMessage

CONTENT_TYPE: Final = "application/json"
_FIELDS: Final = frozenset(
    {
        "event_id",
        "event_type",
        "occurred_at",
        "aggregate_id",
        "user_id",
        "schema_version",
        "payload",
    }
)


class MalformedEvent(Exception):
    """A message body that is not a valid envelope; never retry it, dead-letter it."""


def _utc_iso(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("occurred_at must be timezone-aware")
    return moment.astimezone(UTC).isoformat()


def encode_envelope(event: DomainEvent) -> bytes:
    """The envelope as UTF-8 JSON; `occurred_at` is ISO-8601 in UTC."""
    return orjson.dumps(
        {
            "event_id": str(event.event_id),
            "event_type": event.event_type.value,
            "occurred_at": _utc_iso(event.occurred_at),
            "aggregate_id": str(event.aggregate_id),
            "user_id": event.user_id,
            "schema_version": event.schema_version,
            "payload": event.payload,
        }
    )


def _uuid(document: dict[str, Any], key: str) -> UUID:
    value = document[key]
    if not isinstance(value, str):
        raise MalformedEvent(f"{key} must be a string")
    try:
        return UUID(value)
    except ValueError:
        raise MalformedEvent(f"{key} is not a UUID") from None


def _occurred_at(value: Any) -> datetime:
    if not isinstance(value, str):
        raise MalformedEvent("occurred_at must be a string")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise MalformedEvent("occurred_at is not ISO-8601") from None
    if moment.tzinfo is None:
        raise MalformedEvent("occurred_at has no timezone")
    return moment.astimezone(UTC)


def _event_type(value: Any) -> EventType:
    try:
        return EventType(value)
    except ValueError:
        raise MalformedEvent("unknown event_type") from None


def decode_envelope(body: bytes) -> DomainEvent:
    """Parse and validate an envelope; raises `MalformedEvent` on anything invalid."""
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise MalformedEvent("body is not JSON") from None
    if not isinstance(document, dict):
        raise MalformedEvent("envelope must be a JSON object")
    missing = _FIELDS - document.keys()
    if missing:
        raise MalformedEvent(f"missing fields: {', '.join(sorted(missing))}")
    user_id = document["user_id"]
    if not isinstance(user_id, str) or not user_id:
        raise MalformedEvent("user_id must be a non-empty string")
    version = document["schema_version"]
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise MalformedEvent("schema_version must be a positive integer")
    payload = document["payload"]
    if not isinstance(payload, dict):
        raise MalformedEvent("payload must be a JSON object")
    return DomainEvent(
        event_id=_uuid(document, "event_id"),
        event_type=_event_type(document["event_type"]),
        occurred_at=_occurred_at(document["occurred_at"]),
        aggregate_id=_uuid(document, "aggregate_id"),
        user_id=user_id,
        schema_version=version,
        payload=payload,
    )


__all__ = [
    "CONTENT_TYPE",
    "MalformedEvent",
    "OutboxMessage",
    "decode_envelope",
    "encode_envelope",
]
