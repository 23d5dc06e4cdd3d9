"""Reconciliation: the ledger's payments side by side with the provider's charges."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

from wallet_domain.model.transaction import TransactionStatus


class MismatchKind(StrEnum):
    """Each way the two records can disagree."""

    CHARGED_NOT_APPROVED = "charged_not_approved"  # charged there; FAILED/DECLINED, refunded here
    UNKNOWN_HERE = "unknown_here"  # charged there; no such payment here
    APPROVED_NOT_CHARGED = "approved_not_charged"  # APPROVED here; no charge there
    AMOUNT_DIFFERS = "amount_differs"  # both charged, other amount or currency
    REFUND_MISSING = "refund_missing"  # refunded there (more than) here
    REFUND_OVER_CREDITED = "refund_over_credited"  # refunds credited here beyond there's
    STALE_PENDING = "stale_pending"  # PENDING here past the recovery window


@dataclass(frozen=True, slots=True, kw_only=True)
class ProviderCharge:
    """One charge as the provider records it."""

    payment_id: UUID
    amount: int
    currency: str
    charged_at: datetime
    refunded_amount: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class LedgerPayment:
    """One payment as the ledger records it, with what was refunded of it."""

    id: UUID
    user_id: str
    status: TransactionStatus
    amount: int
    currency: str
    created_at: datetime
    refunded_amount: int = 0
    redebited_amount: int = 0  # taken back by a reconciliation REDEBIT
    flag_reason: str | None = None  # set once reconciliation flagged it for review


@dataclass(frozen=True, slots=True, kw_only=True)
class Mismatch:
    kind: MismatchKind
    payment_id: UUID
    here: LedgerPayment | None
    there: ProviderCharge | None
    fixed: bool = False  # a correction settled it: no longer unresolved
    resolution: str | None = None  # what a correction did (or why it could not)
    details: dict[str, Any] = field(default_factory=dict)
