"""Holds: money reserved now and settled later (captured in whole or part, or released).

A hold's amount leaves the available balance when it is created and shows as a pending
debit. It leaves PENDING exactly once: COMPLETED (captured; the rest released), REVERTED
(all released on request) or EXPIRED (all released by the expiry worker).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Final
from uuid import UUID

from wallet_domain.errors import InvalidState, ValidationError
from wallet_domain.money import Money

DEFAULT_HOLD_EXPIRY: Final = timedelta(days=7)
MAX_HOLD_EXPIRY: Final = timedelta(days=30)
MIN_HOLD_EXPIRY: Final = timedelta(seconds=1)


class HoldStatus(StrEnum):
    PENDING = "PENDING"
    COMPLETED = "COMPLETED"
    REVERTED = "REVERTED"
    EXPIRED = "EXPIRED"


def hold_expiry(expires_in_s: int | None) -> timedelta:
    """`expires_in_s` seconds (1 s to 30 days), 7 days when not given."""
    if expires_in_s is None:
        return DEFAULT_HOLD_EXPIRY
    low, high = int(MIN_HOLD_EXPIRY.total_seconds()), int(MAX_HOLD_EXPIRY.total_seconds())
    if isinstance(expires_in_s, bool) or not low <= expires_in_s <= high:
        raise ValidationError(
            f"expires_in_s must be between {low} and {high}", field="expires_in_s"
        )
    return timedelta(seconds=expires_in_s)


@dataclass(frozen=True, slots=True, kw_only=True)
class Hold:
    id: UUID
    user_id: str
    money: Money
    status: HoldStatus
    expires_at: datetime
    created_at: datetime
    updated_at: datetime
    reference: str | None = None
    captured: int | None = None

    @property
    def released(self) -> int:
        """What a settled hold gave back to the balance (0 while PENDING)."""
        if self.status is HoldStatus.PENDING:
            return 0
        return self.money.amount - (self.captured or 0)

    def complete(self, amount: int | None, at: datetime) -> Hold:
        """Capture `amount` (the whole hold if None); the rest is released."""
        self._ensure_pending()
        captured = self.money.amount if amount is None else amount
        if isinstance(captured, bool) or not 1 <= captured <= self.money.amount:
            raise ValidationError("amount must be between 1 and the held amount", field="amount")
        return replace(self, status=HoldStatus.COMPLETED, captured=captured, updated_at=at)

    def revert(self, at: datetime) -> Hold:
        self._ensure_pending()
        return replace(self, status=HoldStatus.REVERTED, updated_at=at)

    def expire(self, at: datetime) -> Hold:
        self._ensure_pending()
        return replace(self, status=HoldStatus.EXPIRED, updated_at=at)

    def already(self, status: HoldStatus, amount: int | None) -> bool:
        """Whether this settled hold is exactly what asking for `status` (with `amount`)
        would have made: a repeat of the action that won."""
        if self.status is not status:
            return False
        if status is HoldStatus.COMPLETED:
            return self.captured == (self.money.amount if amount is None else amount)
        return True

    def _ensure_pending(self) -> None:
        if self.status is not HoldStatus.PENDING:
            raise InvalidState(f"the hold is already {self.status.value}", status=self.status.value)


def new_hold(
    *,
    id: UUID,
    user_id: str,
    money: Money,
    reference: str | None,
    expires_in: timedelta,
    at: datetime,
) -> Hold:
    return Hold(
        id=id,
        user_id=user_id,
        money=money,
        status=HoldStatus.PENDING,
        reference=reference,
        expires_at=at + expires_in,
        created_at=at,
        updated_at=at,
    )
