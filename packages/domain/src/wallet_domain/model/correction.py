"""What reconciliation did about a payment the provider charged while the ledger refunded it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Final
from uuid import UUID

from wallet_domain.money import Money

MAX_REASON: Final = 200


class CorrectionKind(StrEnum):
    REDEBIT = "REDEBIT"  # the refund was taken back: a REDEBIT ledger row
    FLAG = "FLAG"  # left for a person to review


class RefundedChargePolicy(StrEnum):
    """What `--fix` does with a charge the provider made but the ledger refunded."""

    REDEBIT = "redebit"  # re-debit when the balance covers it, else flag
    FLAG = "flag"  # always flag for review


@dataclass(frozen=True, slots=True, kw_only=True)
class Correction:
    """One correction of one payment; at most one of each kind per payment."""

    payment_id: UUID
    kind: CorrectionKind
    user_id: str
    money: Money
    reason: str
    at: datetime
    transaction_id: UUID | None = None  # the REDEBIT row; None for a flag
