"""Idempotency records: scope (user_id, key), a request fingerprint, the stored reply."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Final
from uuid import UUID

from wallet_domain.errors import IdempotencyInProgress, IdempotencyKeyReused, ValidationError

MAX_KEY_LENGTH: Final = 255


def validate_idempotency_key(key: str | None) -> str:
    """1-255 printable ASCII characters."""
    if key is None:
        raise ValidationError("Idempotency-Key header is required", field="Idempotency-Key")
    # ASCII and printable: exactly 0x20-0x7E, checked in C rather than per character.
    if not 1 <= len(key) <= MAX_KEY_LENGTH or not (key.isascii() and key.isprintable()):
        raise ValidationError(
            f"Idempotency-Key must be 1-{MAX_KEY_LENGTH} printable ASCII characters",
            field="Idempotency-Key",
        )
    return key


# Canonical JSON, built once: `json.dumps` with options builds an encoder per call.
_CANONICAL: Final = json.JSONEncoder(sort_keys=True, separators=(",", ":"), default=str)


def fingerprint(operation: str, fields: dict[str, Any]) -> str:
    """A stable digest of what was asked; the same key with another digest is a reuse."""
    canonical = _CANONICAL.encode({"op": operation, **fields})
    return hashlib.sha256(canonical.encode()).hexdigest()


class IdempotencyState(StrEnum):
    IN_PROGRESS = "IN_PROGRESS"
    COMPLETED = "COMPLETED"


@dataclass(frozen=True, slots=True)
class StoredResponse:
    """The exact reply given the first time; replays return it byte for byte."""

    status_code: int
    body: bytes


@dataclass(frozen=True, slots=True, kw_only=True)
class IdempotencyRecord:
    user_id: str
    key: str
    fingerprint: str
    state: IdempotencyState
    created_at: datetime
    payment_id: UUID | None = None
    response: StoredResponse | None = None


def new_claim(
    *,
    user_id: str,
    key: str,
    fingerprint: str,
    at: datetime,
    answer: StoredResponse | None = None,
    payment_id: UUID | None = None,
) -> IdempotencyRecord:
    """The record a request claims its key with: already COMPLETED with `answer` when the
    reply is known before the write (one-statement writes), else IN_PROGRESS until the
    reply is stored."""
    return IdempotencyRecord(
        user_id=user_id,
        key=key,
        fingerprint=fingerprint,
        state=IdempotencyState.IN_PROGRESS if answer is None else IdempotencyState.COMPLETED,
        created_at=at,
        payment_id=payment_id,
        response=answer,
    )


@dataclass(frozen=True, slots=True)
class Reply:
    """What an idempotent command answers: the response, and whether it is a replay."""

    response: StoredResponse
    replayed: bool = False


def reply_to_existing(record: IdempotencyRecord, request_fingerprint: str) -> Reply:
    """Decide what a request that found its key already claimed gets: the stored reply
    for the same request, 422 for a different one, 409 while the first is in flight."""
    if record.fingerprint != request_fingerprint:
        raise IdempotencyKeyReused()
    if record.state is IdempotencyState.IN_PROGRESS or record.response is None:
        raise IdempotencyInProgress()
    return Reply(record.response, replayed=True)
