"""A provider's `dispute.updated` event: move the dispute, and credit it back if WON."""

from __future__ import annotations

from dataclasses import dataclass

from wallet_domain.model.dispute import PROVIDER_STATUSES, DisputeStatus
from wallet_domain.model.events import dispute_event
from wallet_domain.model.provider_event import DisputeUpdated, ProviderEventOutcome
from wallet_domain.model.transaction import new_chargeback
from wallet_domain.ports.clock import Clock
from wallet_domain.ports.dispute_book import DisputeBook
from wallet_domain.ports.dispute_updates import DisputeUpdates
from wallet_domain.ports.id_generator import IdGenerator


@dataclass(frozen=True, slots=True, kw_only=True)
class ApplyDisputeUpdate(DisputeUpdates):
    """The disputes' side of a provider event, in the caller's transaction: the caller
    (applying provider events) records the event with the outcome and commits both, or
    rolls both back when the event is a repeat; this never commits.

    Rules:
    - The dispute is locked first, so provider updates and the client's cancel or evidence
      apply one at a time, each deciding on what the locked row says.
    - An unknown dispute is UNKNOWN_TARGET; one already in the reported status is
      ALREADY_SETTLED; a move off the graph (e.g. a CANCELED dispute reported WON) is
      REFUSED. None of these change anything.
    - Otherwise the dispute moves (`dispute.updated`, `dispute.won` or `dispute.lost`);
      WON also credits the payment's amount to the wallet with a CHARGEBACK ledger row
      (the database allows one per dispute, so a repeat can never credit twice). LOST
      and CLOSED move no money.
    """

    book: DisputeBook
    clock: Clock
    ids: IdGenerator

    async def apply(self, event: DisputeUpdated) -> ProviderEventOutcome:
        target = PROVIDER_STATUSES[event.status]
        dispute = await self.book.lock(event.dispute_id, None)
        if dispute is None:
            return ProviderEventOutcome.UNKNOWN_TARGET
        if dispute.status is target:
            return ProviderEventOutcome.ALREADY_SETTLED
        if not dispute.can_move_to(target):
            return ProviderEventOutcome.REFUSED
        now = self.clock.now()
        moved = dispute.move_to(target, now)
        await self.book.save(moved, dispute_event(moved, event_id=self.ids.new_id(), at=now))
        if target is DisputeStatus.WON:
            await self.book.credit_chargeback(
                new_chargeback(
                    id=self.ids.new_id(),
                    user_id=moved.user_id,
                    money=moved.money,
                    dispute_id=moved.id,
                    at=now,
                )
            )
        return ProviderEventOutcome.APPLIED
