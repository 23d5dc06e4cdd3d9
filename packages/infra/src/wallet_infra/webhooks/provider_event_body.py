"""Decode a verified webhook body into a domain provider event (strict, one pass).

The body is `{"provider_event_id", "type", "created_at", "data"}`; `data`'s shape depends
on `type`. Anything that is not such an object raises `ValidationError` (400 on the wire)
without echoing the offending values. A well-formed event of a type we do not act on
becomes `UnsupportedProviderEvent` (acknowledged, counted), so the provider can add types.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Final, Literal
from uuid import UUID

import msgspec
from wallet_domain.errors import ValidationError
from wallet_domain.model.provider_event import (
    DisputeUpdated,
    PaymentRefunded,
    PaymentSettled,
    ProviderDisputeStatus,
    ProviderEvent,
    ProviderEventType,
    UnsupportedProviderEvent,
)

_MAX_AMOUNT: Final = 2**63 - 1
_EventId = Annotated[str, msgspec.Meta(min_length=1, max_length=255)]


class _Envelope(msgspec.Struct, frozen=True):
    provider_event_id: _EventId
    type: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
    created_at: datetime
    data: dict[str, Any]


class _SettledData(msgspec.Struct, frozen=True):
    payment_id: UUID
    status: Literal["approved", "declined"]


class _RefundedData(msgspec.Struct, frozen=True):
    payment_id: UUID
    amount: Annotated[int, msgspec.Meta(gt=0, le=_MAX_AMOUNT)]


class _DisputeData(msgspec.Struct, frozen=True):
    dispute_id: UUID
    status: ProviderDisputeStatus


_ENVELOPE_DECODER: Final = msgspec.json.Decoder(_Envelope)


def _invalid(reason: str) -> ValidationError:
    return ValidationError("webhook body is not a valid provider event", reason=reason)


def _data(envelope: _Envelope, shape: type[msgspec.Struct]) -> Any:
    try:
        return msgspec.convert(envelope.data, shape, strict=True)
    except msgspec.ValidationError:
        raise _invalid(f"data does not match {envelope.type}") from None


def decode_provider_event(body: bytes) -> ProviderEvent:
    """The event in `body`; `ValidationError` when the body is not a provider event."""
    try:
        envelope = _ENVELOPE_DECODER.decode(body)
    except msgspec.DecodeError:
        raise _invalid("not a provider event object") from None
    except RecursionError:  # msgspec's own depth limit: JSON nested deeper than it reads
        raise _invalid("nested too deeply") from None
    if envelope.created_at.tzinfo is None:
        raise _invalid("created_at must carry a UTC offset")
    try:
        # In UTC, as it is stored: an instant at the edge of the calendar (year 1 at +01:00)
        # has no UTC date, and would fail every time it is stored, never refused.
        created_at = envelope.created_at.astimezone(UTC)
    except OverflowError:
        raise _invalid("created_at is out of range") from None
    event_id = envelope.provider_event_id
    if envelope.type == ProviderEventType.PAYMENT_SETTLED:
        settled: _SettledData = _data(envelope, _SettledData)
        return PaymentSettled(
            provider_event_id=event_id,
            created_at=created_at,
            payment_id=settled.payment_id,
            approved=settled.status == "approved",
        )
    if envelope.type == ProviderEventType.PAYMENT_REFUNDED:
        refunded: _RefundedData = _data(envelope, _RefundedData)
        return PaymentRefunded(
            provider_event_id=event_id,
            created_at=created_at,
            payment_id=refunded.payment_id,
            amount=refunded.amount,
        )
    if envelope.type == ProviderEventType.DISPUTE_UPDATED:
        dispute: _DisputeData = _data(envelope, _DisputeData)
        return DisputeUpdated(
            provider_event_id=event_id,
            created_at=created_at,
            dispute_id=dispute.dispute_id,
            status=dispute.status,
        )
    return UnsupportedProviderEvent(
        provider_event_id=event_id, created_at=created_at, type=envelope.type
    )
