"""Wallet identity and balances."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from wallet_domain.errors import ValidationError

_USER_ID_RE: Final = re.compile(r"[A-Za-z0-9_-]{1,64}")


def validate_user_id(user_id: str, *, field: str = "user_id") -> str:
    """A user_id is 1-64 chars of [A-Za-z0-9_-] (opaque to us); `field` names it in errors."""
    if not isinstance(user_id, str) or not _USER_ID_RE.fullmatch(user_id):
        raise ValidationError(f"{field} must be 1-64 characters of [A-Za-z0-9_-]", field=field)
    return user_id


@dataclass(frozen=True, slots=True, kw_only=True)
class Wallet:
    user_id: str
    created_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class Balance:
    """`available` is spendable; `pending` is what PENDING payments and open holds hold
    (already debited: the pending debit); `pending_credit` is what pending deposits will
    bring once completed (not spendable, not yet the wallet's)."""

    currency: str
    available: int
    pending: int
    pending_credit: int = 0

    @property
    def pending_debit(self) -> int:
        return self.pending

    @property
    def total(self) -> int:
        """What the wallet owns: spendable plus held (pending credits are not yet its own)."""
        return self.available + self.pending
