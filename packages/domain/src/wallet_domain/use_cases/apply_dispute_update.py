"""A provider's `dispute.updated` event: move the dispute, and credit it back if WON."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from wallet_domain.model.dispute import PROVIDER_STATUSES, Dispute, DisputeStatus
from wallet_domain.model.events import dispute_event
from wallet_domain.model.provider_event import DisputeUpdated, ProviderEventOutcome
from wallet_domain.model.transaction import new_chargeback
from wallet_domain.money import Money
from wallet_domain.ports.clock import Clock
from wallet_domain.ports.dispute_book import DisputeBook
from wallet_domain.ports.dispute_updates import DisputeUpdates
from wallet_domain.ports.id_generator import IdGenerator
from wallet_domain.ports.provider_payments import ProviderPayments


@dataclass(frozen=True, slots=True, kw_only=True)
class ApplyDisputeUpdate(DisputeUpdates):
    """The disputes' side of a provider event, in the caller's transaction: the caller
    (applying provider events) records the event with the outcome and commits both, or
    rolls both back when the event is a repeat; this never commits.

    Rules:
    - The dispute is locked first, so provider updates and the client's cancel or evidence
      apply one at a time, each deciding on what the locked row says.
    - An unknown dispute is UNKNOWN_TARGET. One already in the reported status, or past
      it on the provider's line (`under_review` arriving after `submitted`), is
      ALREADY_SETTLED. A move that can never happen (a CANCELED dispute reported WON, a
      WON one reported LOST) is REFUSED. None of these change anything.
    - Otherwise the dispute moves along the graph to the reported status, through the
      statuses before it that it has not had yet: the provider retries each webhook on
      its own, so `won` may come before `submitted`, and refusing it for good would leave
      the dispute stuck and a won chargeback never credited. Each step is saved with its
      own event (`dispute.updated`, `dispute.won` or `dispute.lost`). LOST and CLOSED
      move no money.
    - WON credits the payment's amount back to the wallet with a CHARGEBACK ledger row,
      less what the provider already gave back of it (refunds, an earlier dispute's
      chargeback): the payment is locked, and a payment never gives back more than it
      took (nothing at all when it was given back in full). The database allows one
      CHARGEBACK per dispute, so a repeat can never credit twice, and bounds a payment's
      refunds and chargebacks together by its amount.
    """

    book: DisputeBook
    payments: ProviderPayments
    clock: Clock
    ids: IdGenerator

    async def apply(self, event: DisputeUpdated) -> ProviderEventOutcome:
        target = PROVIDER_STATUSES[event.status]
        dispute = await self.book.lock(event.dispute_id, None)
        if dispute is None:
            return ProviderEventOutcome.UNKNOWN_TARGET
        if dispute.status is target or dispute.has_passed(target):
            return ProviderEventOutcome.ALREADY_SETTLED
        steps = dispute.steps_to(target)
        if not steps:
            return ProviderEventOutcome.REFUSED
        now = self.clock.now()
        credit = await self._chargeback(dispute) if target is DisputeStatus.WON else None
        moved = dispute
        for step in steps:
            moved = moved.move_to(step, now)
            published = dispute_event(moved, event_id=self.ids.new_id(), at=now, credited=credit)
            await self.book.save(moved, published)
        if credit:
            await self._credit(moved, credit, now)
        return ProviderEventOutcome.APPLIED

    async def _chargeback(self, dispute: Dispute) -> int:
        """What winning `dispute` gives back: its amount, less what the provider already
        gave back of the payment (read under the payment's lock)."""
        payment = await self.payments.lock(dispute.payment_id)
        if payment is None:  # a dispute's payment is never deleted (a foreign key)
            raise RuntimeError(f"dispute {dispute.id}: payment {dispute.payment_id} not found")
        return min(dispute.money.amount, payment.remaining)

    async def _credit(self, won: Dispute, amount: int, now: datetime) -> None:
        entry = new_chargeback(
            id=self.ids.new_id(),
            user_id=won.user_id,
            money=Money(amount, won.money.currency),
            dispute_id=won.id,
            at=now,
        )
        await self.book.credit_chargeback(entry, payment_id=won.payment_id)
