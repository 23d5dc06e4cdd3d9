from __future__ import annotations

from typing import Protocol
from uuid import UUID

from wallet_domain.model.correction import Correction, CorrectionKind


class ChargeCorrections(Protocol):
    """The corrections reconciliation made, in the caller's transaction; the store keeps
    at most one of each kind per payment, whoever writes it."""

    async def kinds(self, payment_id: UUID) -> frozenset[CorrectionKind]:
        """The kinds of correction this payment already has."""
        ...

    async def record(self, correction: Correction) -> bool:
        """Record it; False, with nothing written, if the payment already has one of this
        kind (waits for a concurrent writer of the same one to commit or roll back).
        Raises `RefundedByProvider` for a first REDEBIT of a payment whose provider refund
        (`payment.refunded`) is stored: the store refuses it whoever asks; the caller's
        unit of work must then be rolled back."""
        ...
