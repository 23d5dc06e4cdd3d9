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
        """The PAYMENT with this id and its refunded total, its row locked until the
        transaction ends, so events about one payment apply one at a time and a settlement
        or refund decided on what this returns cannot be raced. None if there is none."""
        ...

    async def refund(self, refund: LedgerEntry, created: DomainEvent) -> None:
        """Write one provider refund of a locked APPROVED payment: raise the payment's
        refunded total (the database refuses a total over the payment's amount), append
        `refund`, credit its wallet and add `created`, all or nothing."""
        ...
