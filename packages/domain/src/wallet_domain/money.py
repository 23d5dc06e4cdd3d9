"""Money: an integer amount of minor units plus an ISO-4217 code. Never floats."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from wallet_domain.errors import ValidationError

# int64, the ledger's column type. It also bounds what a wallet owns in one currency
# (available + held by PENDING payments), so a refund of held money always fits.
MAX_AMOUNT: Final = 2**63 - 1
DEFAULT_CURRENCIES: Final = frozenset({"USD", "EUR", "GBP", "BRL", "MXN", "ARS", "JPY"})
_CURRENCY_RE: Final = re.compile(r"[A-Z]{3}")


@dataclass(frozen=True, slots=True)
class Money:
    """A positive amount of minor units; any movement of money is one of these."""

    amount: int
    currency: str

    def __post_init__(self) -> None:
        # bool is an int subclass; True must not pass for 1 minor unit.
        if type(self.amount) is not int:
            raise ValidationError("amount must be an integer of minor units", field="amount")
        if not 0 < self.amount <= MAX_AMOUNT:
            raise ValidationError(f"amount must be between 1 and {MAX_AMOUNT}", field="amount")
        if not isinstance(self.currency, str) or not _CURRENCY_RE.fullmatch(self.currency):
            raise ValidationError(
                "currency must be an ISO-4217 code of three upper-case letters", field="currency"
            )


def ensure_supported(currency: str, supported: frozenset[str]) -> str:
    """Reject a currency outside the configured list."""
    if currency not in supported:
        raise ValidationError("unsupported currency", field="currency", supported=sorted(supported))
    return currency
