"""Fake of the `ChargeCorrections` port."""

from __future__ import annotations

from uuid import UUID

from wallet_domain.errors import RefundedByProvider
from wallet_domain.model.correction import Correction, CorrectionKind
from wallet_domain.ports.charge_corrections import ChargeCorrections

from wallet_testkit.fakes.provider_event_log import FakeProviderEventLog
from wallet_testkit.fakes.store import IntegrityViolation
from wallet_testkit.fakes.unit_of_work import FakeTransactionManager


class FakeChargeCorrections(ChargeCorrections):
    """At most one correction of each kind per payment, like the table's key; the REDEBIT
    row must be in the ledger (foreign key); a first REDEBIT of a payment whose provider
    refund is stored, staged here or committed by any unit, is refused (the trigger)."""

    def __init__(self, tx: FakeTransactionManager) -> None:
        self._tx = tx

    async def kinds(self, payment_id: UUID) -> frozenset[CorrectionKind]:
        return frozenset(k for (p, k) in self._tx.tables.corrections if p == payment_id)

    async def record(self, correction: Correction) -> bool:
        tables = self._tx.tables
        key = (correction.payment_id, correction.kind)
        if key in tables.corrections:
            return False
        if correction.transaction_id is not None and correction.transaction_id not in (
            tables.ledger
        ):
            raise IntegrityViolation("correction of no ledger row (foreign key)")
        if correction.kind is CorrectionKind.REDEBIT and await FakeProviderEventLog(
            self._tx
        ).refund_recorded(correction.payment_id):
            raise RefundedByProvider(payment_id=str(correction.payment_id))
        tables.corrections[key] = correction
        return True
