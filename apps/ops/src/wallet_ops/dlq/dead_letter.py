"""One dead-lettered message, as read from its headers and body."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from aio_pika.abc import AbstractIncomingMessage


@dataclass(frozen=True, slots=True, kw_only=True)
class DeadLetter:
    message_id: str | None
    event_type: str | None
    exchange: str  # where it was first published
    routing_key: str
    queue: str  # the work queue it died in
    reason: str  # RabbitMQ's: rejected, delivery_limit, expired, maxlen
    deaths: int
    dead_lettered_at: datetime | None
    occurred_at: datetime | None  # the event's own time, from the envelope

    def age_at(self, now: datetime) -> float | None:
        """Seconds since the event happened (else since it was dead-lettered)."""
        moment = self.occurred_at or self.dead_lettered_at
        return None if moment is None else (now - moment).total_seconds()

    def as_row(self, now: datetime) -> dict[str, Any]:
        age = self.age_at(now)
        return {
            "message_id": self.message_id,
            "event_type": self.event_type,
            "queue": self.queue,
            "reason": self.reason,
            "deaths": self.deaths,
            "exchange": self.exchange,
            "routing_key": self.routing_key,
            "dead_lettered_at": _iso(self.dead_lettered_at),
            "occurred_at": _iso(self.occurred_at),
            "age_s": None if age is None else round(age, 1),
        }


def dead_letter_of(message: AbstractIncomingMessage) -> DeadLetter:
    """Reads the oldest `x-death` record (where the message was first published), falling
    back to the delivery's own exchange and routing key for a message without one."""
    raw: Any = (message.headers or {}).get("x-death") or []
    deaths: list[dict[str, Any]] = [dict(d) for d in raw]
    first = deaths[-1] if deaths else {}
    routing_keys = first.get("routing-keys") or [message.routing_key or ""]
    envelope = _envelope(message.body)
    return DeadLetter(
        message_id=message.message_id,
        event_type=_str(envelope.get("event_type")),
        exchange=str(first.get("exchange", message.exchange or "")),
        routing_key=str(routing_keys[0]),
        queue=str(first.get("queue", "")),
        reason=str(first.get("reason", "unknown")),
        deaths=sum(int(d.get("count", 1)) for d in deaths),
        dead_lettered_at=_utc(first.get("time")),
        occurred_at=_parse_time(envelope.get("occurred_at")),
    )


def _envelope(body: bytes) -> dict[str, Any]:
    try:
        decoded = orjson.loads(body)
    except orjson.JSONDecodeError:
        return {}
    return decoded if isinstance(decoded, dict) else {}


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _utc(value: Any) -> datetime | None:
    if not isinstance(value, datetime):
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return _utc(datetime.fromisoformat(value))
    except ValueError:
        return None


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()
