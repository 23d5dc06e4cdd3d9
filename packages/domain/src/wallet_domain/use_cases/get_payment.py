"""Look up one payment (clients need it after a timeout)."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from wallet_domain.errors import PaymentNotFound
from wallet_domain.model.transaction import LedgerEntry, TransactionType
from wallet_domain.model.wallet import validate_user_id
from wallet_domain.ports.ledger import Ledger


@dataclass(frozen=True, slots=True, kw_only=True)
class GetPaymentRequest:
    user_id: str
    payment_id: UUID


@dataclass(frozen=True, slots=True, kw_only=True)
class GetPayment:
    """The payment and its current status. A payment of another wallet, or an id that is
    not a payment, is NOT_FOUND: ids reveal nothing across wallets."""

    ledger: Ledger

    async def execute(self, request: GetPaymentRequest) -> LedgerEntry:
        user_id = validate_user_id(request.user_id)
        entry = await self.ledger.get(user_id, request.payment_id)
        if entry is None or entry.type is not TransactionType.PAYMENT:
            raise PaymentNotFound(payment_id=str(request.payment_id))
        return entry
