from __future__ import annotations

from typing import Protocol
from uuid import UUID

from wallet_domain.model.events import DomainEvent
from wallet_domain.model.refundable_payment import RefundablePayment
from wallet_domain.model.transaction import LedgerEntry


class ProviderPayments(Protocol):
    """Payments as the provider's events reach them: by payment id alone (the provider knows
    no wallet), in the caller's transaction; never commits."""

    async def lock(self, payment_id: UUID) -> RefundablePayment | None:
        """The PAYMENT with this id and what it gave back so far (refunds, chargebacks) or
        had re-debited, its row locked until the transaction ends, so events about one
        payment apply one at a time and a settlement, refund or chargeback decided on what
        this returns cannot be raced. None if there is none."""
        ...

    async def refund(self, refund: LedgerEntry, created: DomainEvent) -> None:
        """Write one provider refund of a locked payment (APPROVED, or FAILED/DECLINED and
        re-debited): raise the payment's refunded total (the database refuses one over what
        the payment may give back), append `refund`, credit its wallet and add `created`,
        all or nothing."""
        ...
