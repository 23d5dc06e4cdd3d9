"""Apply one verified provider event (a webhook), at most once per provider event id."""

from __future__ import annotations

from dataclasses import dataclass, replace
from uuid import UUID

from wallet_domain.model.events import EventType, event_for
from wallet_domain.model.provider_event import (
    DisputeUpdated,
    PaymentRefunded,
    PaymentSettled,
    ProviderEvent,
    ProviderEventOutcome,
    ProviderEventType,
)
from wallet_domain.model.refundable_payment import RefundablePayment
from wallet_domain.model.transaction import (
    LedgerEntry,
    TransactionStatus,
    new_provider_refund,
)
from wallet_domain.ports.clock import Clock
from wallet_domain.ports.dispute_updates import DisputeUpdates
from wallet_domain.ports.id_generator import IdGenerator
from wallet_domain.ports.provider_event_log import ProviderEventLog
from wallet_domain.ports.provider_event_monitor import ProviderEventMonitor
from wallet_domain.ports.provider_payments import ProviderPayments
from wallet_domain.ports.transaction_manager import TransactionManager
from wallet_domain.settlement import PaymentSettlement
from wallet_domain.unit_of_work import rolling_back

Outcome = ProviderEventOutcome


def settled_outcome(payment: LedgerEntry, *, approved: bool) -> ProviderEventOutcome:
    """What a `payment.settled` does to `payment`: settle it if PENDING; otherwise compare.
    "declined" agrees with DECLINED and FAILED alike: no charge either way."""
    if payment.is_pending:
        return Outcome.APPLIED
    if (payment.status is TransactionStatus.APPROVED) == approved:
        return Outcome.ALREADY_SETTLED
    return Outcome.CONTRADICTION


@dataclass(frozen=True, slots=True, kw_only=True)
class ApplyProviderEvent:
    """Apply what the provider tells us after the fact, in one transaction per event.

    Rules:
    - At most once per `provider_event_id`: the event is recorded in the same transaction
      as its effect; a repeat (a provider retry, a broker redelivery, two deliveries at
      once) finds the record and changes nothing: DUPLICATE.
    - Events about a payment lock it first, so they apply one at a time, and decide on
      what the locked row says. An unknown payment (or dispute) is UNKNOWN_TARGET and
      stores nothing; so is an event type we do not act on (UNSUPPORTED). Every other
      outcome is recorded with the event, so its repeats are DUPLICATE.
    - `payment.settled` settles a PENDING payment at once, exactly as the recovery worker
      would (same settlement, compensation of a decline included, reply stored under the
      payment's idempotency key if still open). A payment settled the same way before is
      ALREADY_SETTLED; one settled the other way is a CONTRADICTION: recorded, logged and
      counted, never applied (the ledger stands; an operator looks).
    - `payment.refunded` gives `amount` back to the wallet (a PROVIDER_REFUND row and
      `refund.created`), partial refunds allowed, as long as the payment's refunds and
      chargebacks stay within what the wallet paid for the charge: an APPROVED payment's
      amount, or what a reconciliation re-debited of a FAILED or DECLINED one (the
      provider charged it after all, then refunded that charge). A still PENDING payment
      is first settled APPROVED (a refund proves the charge, whatever became of its
      `payment.settled`). Anything else (a declined or failed payment never re-debited,
      more than is left) is REFUSED: recorded, nothing moves (the provider gets a 2xx all
      the same: retrying would not change the answer). A refusal stored for a FAILED or
      DECLINED payment also stops a later re-debit of it (`CorrectRefundedCharge`): the
      provider gave its charge back, so the wallet's refund here was right.
    - `dispute.updated` is handed to `DisputeUpdates`, then recorded with its outcome.
    - Every delivery is counted and logged with its outcome once its transaction ended.
    """

    payments: ProviderPayments
    events: ProviderEventLog
    settlement: PaymentSettlement
    disputes: DisputeUpdates
    tx: TransactionManager
    clock: Clock
    ids: IdGenerator
    monitor: ProviderEventMonitor

    async def execute(self, event: ProviderEvent) -> ProviderEventOutcome:
        async with rolling_back(self.tx):
            match event:
                case PaymentSettled():
                    outcome = await self._settle(event)
                case PaymentRefunded():
                    outcome = await self._refund(event)
                case DisputeUpdated():
                    outcome = await self._dispute(event)
                case _:
                    outcome = Outcome.UNSUPPORTED
        self.monitor.observed(event, outcome)
        return outcome

    async def _settle(self, event: PaymentSettled) -> ProviderEventOutcome:
        found = await self.payments.lock(event.payment_id)
        if found is None:
            await self.tx.rollback()
            return Outcome.UNKNOWN_TARGET
        outcome = settled_outcome(found.payment, approved=event.approved)
        if not await self._record(
            event, ProviderEventType.PAYMENT_SETTLED, event.payment_id, outcome
        ):
            return Outcome.DUPLICATE
        if outcome is Outcome.APPLIED:
            final = TransactionStatus.APPROVED if event.approved else TransactionStatus.DECLINED
            if await self.settlement.settle(found.payment, final, timed_out=True) is None:
                raise RuntimeError(f"payment {event.payment_id} was not PENDING under its lock")
        await self.tx.commit()
        return outcome

    async def _refund(self, event: PaymentRefunded) -> ProviderEventOutcome:
        found = await self.payments.lock(event.payment_id)
        if found is None:
            await self.tx.rollback()
            return Outcome.UNKNOWN_TARGET
        # A refund proves the charge: a payment still PENDING (its `payment.settled` late
        # or lost) is judged, and if the refund fits settled, as APPROVED, as the recovery
        # worker would; refusing the refund would lose it for good.
        pending = found.payment.status is TransactionStatus.PENDING
        charged = (
            found.payment.settle(TransactionStatus.APPROVED, self.clock.now())
            if pending
            else found.payment
        )
        outcome = (
            Outcome.APPLIED
            if replace(found, payment=charged).covers(event.amount)
            else Outcome.REFUSED
        )
        if not await self._record(
            event, ProviderEventType.PAYMENT_REFUNDED, event.payment_id, outcome
        ):
            return Outcome.DUPLICATE
        if outcome is Outcome.APPLIED:
            if pending:
                settled = await self.settlement.settle(
                    found.payment, TransactionStatus.APPROVED, timed_out=True
                )
                if settled is None:
                    raise RuntimeError(f"payment {event.payment_id} was not PENDING under its lock")
                charged = settled.payment
            await self._write_refund(replace(found, payment=charged), event.amount)
        await self.tx.commit()
        return outcome

    async def _write_refund(self, found: RefundablePayment, amount: int) -> None:
        now = self.clock.now()
        refund = new_provider_refund(
            id=self.ids.new_id(), payment=found.payment, amount=amount, at=now
        )
        created = event_for(EventType.REFUND_CREATED, refund, event_id=self.ids.new_id(), at=now)
        await self.payments.refund(refund, created)

    async def _dispute(self, event: DisputeUpdated) -> ProviderEventOutcome:
        outcome = await self.disputes.apply(event)
        if outcome in (Outcome.UNKNOWN_TARGET, Outcome.UNSUPPORTED):
            await self.tx.rollback()
            return outcome
        if not await self._record(
            event, ProviderEventType.DISPUTE_UPDATED, event.dispute_id, outcome
        ):
            return Outcome.DUPLICATE
        await self.tx.commit()
        return outcome

    async def _record(
        self,
        event: PaymentSettled | PaymentRefunded | DisputeUpdated,
        event_type: ProviderEventType,
        subject_id: UUID,
        outcome: ProviderEventOutcome,
    ) -> bool:
        """Record the event in this transaction; a repeat rolls everything back."""
        recorded = await self.events.record(
            provider_event_id=event.provider_event_id,
            event_type=event_type.value,
            subject_id=subject_id,
            outcome=outcome,
            created_at=event.created_at,
        )
        if not recorded:
            await self.tx.rollback()
        return recorded
