"""Settling a PENDING payment: the one place that finalizes status and compensates.

Shared by the payment use case (step 4 of §4) and the recovery worker, so a payment
is finalized the same way whoever gets there first; the ledger's PENDING guard makes
sure only one of them does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from wallet_domain.model.events import EventType, event_for
from wallet_domain.model.transaction import LedgerEntry, TransactionStatus, new_refund
from wallet_domain.ports.clock import Clock
from wallet_domain.ports.id_generator import IdGenerator
from wallet_domain.ports.ledger import Ledger
from wallet_domain.ports.outbox import OutboxWriter
from wallet_domain.ports.payment_gateway import ChargeStatus, LookupStatus
from wallet_domain.ports.wallet_balances import WalletBalances

_FROM_CHARGE: Final = {
    ChargeStatus.APPROVED: TransactionStatus.APPROVED,
    ChargeStatus.DECLINED: TransactionStatus.DECLINED,
    ChargeStatus.FAILED: TransactionStatus.FAILED,
}
_FROM_LOOKUP: Final = {
    LookupStatus.APPROVED: TransactionStatus.APPROVED,
    LookupStatus.DECLINED: TransactionStatus.DECLINED,
    # A timeout is not a failure, but a gateway that holds no charge is a definite no.
    LookupStatus.NOT_CHARGED: TransactionStatus.FAILED,
}


def status_from_charge(status: ChargeStatus) -> TransactionStatus | None:
    """The final status a charge result decides, or None when it needs a lookup."""
    return _FROM_CHARGE.get(status)


def status_from_lookup(status: LookupStatus) -> TransactionStatus | None:
    """The final status a lookup decides, or None when the outcome is still unknown."""
    return _FROM_LOOKUP.get(status)


@dataclass(frozen=True, slots=True, kw_only=True)
class Settled:
    payment: LedgerEntry
    refund: LedgerEntry | None


class PaymentSettlement:
    """Moves a PENDING payment to its final status in the caller's transaction.

    Rules: the status moves exactly once; a payment that is not APPROVED is refunded
    (balance restored, REFUND row, `refund.created`) in the same transaction; the
    outcome is published as `payment.completed` or `payment.failed`.
    """

    def __init__(
        self,
        *,
        ledger: Ledger,
        balances: WalletBalances,
        outbox: OutboxWriter,
        clock: Clock,
        ids: IdGenerator,
    ) -> None:
        self._ledger = ledger
        self._balances = balances
        self._outbox = outbox
        self._clock = clock
        self._ids = ids

    async def settle(self, payment: LedgerEntry, status: TransactionStatus) -> Settled | None:
        """Returns None if the payment was no longer PENDING (settled elsewhere)."""
        now = self._clock.now()
        payment.settle(status, now)  # validates the transition before touching storage
        settled = await self._ledger.settle_payment(payment.id, status, now)
        if settled is None:
            return None
        refund = None
        if status is not TransactionStatus.APPROVED:
            refund = new_refund(id=self._ids.new_id(), payment=settled, at=now)
            await self._balances.credit(refund.user_id, refund.money)
            await self._ledger.append(refund)
            await self._outbox.add(
                event_for(EventType.REFUND_CREATED, refund, event_id=self._ids.new_id(), at=now)
            )
        outcome = (
            EventType.PAYMENT_COMPLETED
            if status is TransactionStatus.APPROVED
            else EventType.PAYMENT_FAILED
        )
        await self._outbox.add(event_for(outcome, settled, event_id=self._ids.new_id(), at=now))
        return Settled(payment=settled, refund=refund)
