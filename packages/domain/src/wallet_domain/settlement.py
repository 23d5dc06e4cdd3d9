"""Settling a PENDING payment: the one place that finalizes status and compensates.

Shared by the payment use case (its second write) and the recovery worker, so a payment
is finalized the same way whoever gets there first; the ledger's PENDING guard makes
sure only one of them does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from wallet_domain.model.events import DomainEvent, EventType, event_for
from wallet_domain.model.idempotency import StoredResponse
from wallet_domain.model.settlement import Settlement
from wallet_domain.model.transaction import LedgerEntry, TransactionStatus, new_refund
from wallet_domain.payment_outcome import failure_for
from wallet_domain.ports.clock import Clock
from wallet_domain.ports.id_generator import IdGenerator
from wallet_domain.ports.payment_book import PaymentBook
from wallet_domain.ports.payment_gateway import ChargeStatus, LookupStatus
from wallet_domain.ports.response_encoder import ResponseEncoder

_FROM_CHARGE: Final = {
    ChargeStatus.APPROVED: TransactionStatus.APPROVED,
    ChargeStatus.DECLINED: TransactionStatus.DECLINED,
    ChargeStatus.FAILED: TransactionStatus.FAILED,
    ChargeStatus.NOT_SENT: TransactionStatus.FAILED,
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
    """The final status a lookup decides, or None when the outcome is still unknown (the
    provider has not decided it, or the lookup failed)."""
    return _FROM_LOOKUP.get(status)


@dataclass(frozen=True, slots=True, kw_only=True)
class PaymentSettlement:
    """Moves a PENDING payment to its final status in the caller's transaction.

    Rules: the status moves exactly once; a payment that is not APPROVED is refunded
    (balance restored, REFUND row, `refund.created`) in the same write; the outcome is
    published as `payment.completed` or `payment.failed`; the payment's idempotency
    record, if still in progress, gets the reply that outcome deserves.
    """

    book: PaymentBook
    clock: Clock
    ids: IdGenerator
    encoder: ResponseEncoder

    async def settle(
        self, payment: LedgerEntry, status: TransactionStatus, *, timed_out: bool
    ) -> Settlement | None:
        """Returns None if the payment was no longer PENDING (settled elsewhere).
        `timed_out`: the outcome came from a lookup after a timeout (see failure_for)."""
        now = self.clock.now()
        settled = payment.settle(status, now)  # validates the transition before any write
        refund = None
        events: list[DomainEvent] = []
        if status is not TransactionStatus.APPROVED:
            refund = new_refund(id=self.ids.new_id(), payment=settled, at=now)
            events.append(
                event_for(EventType.REFUND_CREATED, refund, event_id=self.ids.new_id(), at=now)
            )
        outcome = (
            EventType.PAYMENT_COMPLETED
            if status is TransactionStatus.APPROVED
            else EventType.PAYMENT_FAILED
        )
        events.append(event_for(outcome, settled, event_id=self.ids.new_id(), at=now))
        settlement = Settlement(
            payment=settled,
            refund=refund,
            events=tuple(events),
            reply=self.reply_for(settled, timed_out=timed_out),
        )
        return settlement if await self.book.settle(settlement) else None

    def reply_for(self, payment: LedgerEntry, *, timed_out: bool) -> StoredResponse:
        """The reply a payment in this state gets (201, or its error)."""
        error = failure_for(payment, timed_out=timed_out)
        return self.encoder.created(payment) if error is None else self.encoder.failed(error)
