"""The JSON bodies the mock accepts."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field


class ChargeIn(BaseModel):
    payment_id: str = Field(min_length=1)
    user_id: str
    amount: int
    currency: str
    provider_id: str
    external_reference: str


class ModeChange(BaseModel):
    mode: str
    latency_ms: int | None = Field(default=None, ge=0)
    seed: int | None = None


class ChargeRecord(BaseModel):
    """Admin: a charge as the provider holds it (to stage reconciliation cases)."""

    amount: int = Field(ge=0)
    currency: str = Field(min_length=3, max_length=3)
    refunded_amount: int = Field(default=0, ge=0)


class WebhookEmit(BaseModel):
    """Admin: send any provider event (signed, retried until a 2xx)."""

    type: str = Field(min_length=1)
    data: dict[str, Any] = Field(default_factory=dict)
    # Reuse an id to send the same event again (a provider retry, a duplicate).
    provider_event_id: str | None = Field(default=None, min_length=1)
    delay_s: float = Field(default=0.0, ge=0)


class DisputeIn(BaseModel):
    """A dispute the wallet files (`POST /disputes`)."""

    dispute_id: str = Field(min_length=1)
    payment_id: str = Field(min_length=1)
    amount: int
    currency: str
    reason: str
    evidence: list[str] = Field(default_factory=list)


class EvidenceIn(BaseModel):
    """Every evidence text a dispute holds at the wallet, in order
    (`POST /disputes/{id}/evidence`)."""

    evidence: list[str] = Field(min_length=1)


class DisputeMove(BaseModel):
    """Admin: the provider's decision on a dispute."""

    status: Literal["under_review", "submitted", "won", "lost", "closed"]


class RefundIn(BaseModel):
    """Admin: refund (part of) a charge; no amount refunds what is left."""

    amount: int | None = Field(default=None, gt=0)
