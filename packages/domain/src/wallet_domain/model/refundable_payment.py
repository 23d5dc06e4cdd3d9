"""A payment as a provider refund finds it: its entry and what was given back so far."""

from __future__ import annotations

from dataclasses import dataclass

from wallet_domain.model.transaction import LedgerEntry, TransactionStatus


@dataclass(frozen=True, slots=True, kw_only=True)
class RefundablePayment:
    """`refunded` is the sum of the provider refunds of `payment` (0 for one never refunded);
    the database keeps it on the payment's row and bounds it by the payment's amount."""

    payment: LedgerEntry
    refunded: int = 0

    @property
    def remaining(self) -> int:
        """What the provider may still refund: nothing unless the payment was APPROVED."""
        if self.payment.status is not TransactionStatus.APPROVED:
            return 0
        return self.payment.money.amount - self.refunded

    def covers(self, amount: int) -> bool:
        """Whether a provider refund of `amount` fits in what is left to refund."""
        return 0 < amount <= self.remaining
