"""What the payment provider tells us after the fact, once its signature is verified.

A provider event arrives as a signed webhook (directly on the API, or through the broker
from the ingest service) and is applied at most once, keyed by `provider_event_id`. The
adapters turn a verified body into one of these values; the use cases never see JSON.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from uuid import UUID


class ProviderEventType(StrEnum):
    PAYMENT_SETTLED = "payment.settled"
    PAYMENT_REFUNDED = "payment.refunded"
    DISPUTE_UPDATED = "dispute.updated"


class ProviderDisputeStatus(StrEnum):
    """The dispute states the provider reports (lower-case on the wire)."""

    UNDER_REVIEW = "under_review"
    SUBMITTED = "submitted"
    WON = "won"
    LOST = "lost"
    CLOSED = "closed"


@dataclass(frozen=True, slots=True, kw_only=True)
class PaymentSettled:
    """A late outcome for a payment: settles it if it is still PENDING."""

    provider_event_id: str
    created_at: datetime
    payment_id: UUID
    approved: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class PaymentRefunded:
    """The provider refunded (part of) a charge: the wallet gets `amount` back once."""

    provider_event_id: str
    created_at: datetime
    payment_id: UUID
    amount: int


@dataclass(frozen=True, slots=True, kw_only=True)
class DisputeUpdated:
    """The provider moved a dispute along its graph."""

    provider_event_id: str
    created_at: datetime
    dispute_id: UUID
    status: ProviderDisputeStatus


@dataclass(frozen=True, slots=True, kw_only=True)
class UnsupportedProviderEvent:
    """A well-formed event of a type we do not act on: acknowledged and counted, so the
    provider can add event types without us refusing (and it retrying) them forever."""

    provider_event_id: str
    created_at: datetime
    type: str


ProviderEvent = PaymentSettled | PaymentRefunded | DisputeUpdated | UnsupportedProviderEvent


class ProviderEventOutcome(StrEnum):
    """What applying one event did: the label of the counter every mode shares."""

    APPLIED = "applied"  # the effect happened now
    DUPLICATE = "duplicate"  # this provider_event_id was applied before: nothing changed
    UNKNOWN_TARGET = "unknown_target"  # no such payment or dispute here: nothing changed
    ALREADY_SETTLED = "already_settled"  # the same outcome was settled another way before
    CONTRADICTION = "contradiction"  # disagrees with what we settled: logged, never applied
    REFUSED = "refused"  # breaks a rule (e.g. refunds over the amount, a move off the graph)
    UNSUPPORTED = "unsupported"  # an event type we do not act on
