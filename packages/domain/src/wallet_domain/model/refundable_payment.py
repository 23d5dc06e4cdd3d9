"""A payment as the provider's events find it: its entry and what was given back so far."""

from __future__ import annotations

from dataclasses import dataclass

from wallet_domain.model.transaction import REFUNDED_STATUSES, LedgerEntry, TransactionStatus


@dataclass(frozen=True, slots=True, kw_only=True)
class RefundablePayment:
    """What a payment has given back to its wallet after the provider charged it, so that
    it never gives back more than it took. The database keeps these totals on the
    payment's row and bounds them (`transactions_given_back_within_amount`).

    - `refunded`: the provider's refunds of it.
    - `charged_back`: won disputes' CHARGEBACK credits.
    - `redebited`: what a reconciliation REDEBIT took back of a FAILED or DECLINED payment
      the provider charged after all (its refund here had given the amount back already).
    """

    payment: LedgerEntry
    refunded: int = 0
    charged_back: int = 0
    redebited: int = 0

    @property
    def charged(self) -> int:
        """What the wallet paid for the provider's charge: an APPROVED payment's amount; a
        FAILED or DECLINED one's re-debit (its refund gave the rest back); else nothing."""
        status = self.payment.status
        if status is TransactionStatus.APPROVED:
            return self.payment.money.amount
        if status in REFUNDED_STATUSES:
            return self.redebited
        return 0

    @property
    def remaining(self) -> int:
        """What the provider may still give back, by a refund or a chargeback."""
        return max(0, self.charged - self.refunded - self.charged_back)

    def covers(self, amount: int) -> bool:
        """Whether a provider refund of `amount` fits in what is left to give back."""
        return 0 < amount <= self.remaining
