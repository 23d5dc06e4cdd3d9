"""A provider's `dispute.updated` event: move the dispute, and credit it back if WON."""

from __future__ import annotations

from wallet_domain.model.dispute import PROVIDER_STATUSES, DisputeStatus
from wallet_domain.model.events import dispute_event
from wallet_domain.model.provider_event import (
    DisputeUpdated,
    ProviderEventOutcome,
    ProviderEventType,
)
from wallet_domain.model.transaction import new_chargeback
from wallet_domain.ports.clock import Clock
from wallet_domain.ports.dispute_book import AppliedProviderEvent, DisputeBook
from wallet_domain.ports.dispute_updates import DisputeUpdates
from wallet_domain.ports.id_generator import IdGenerator
from wallet_domain.ports.transaction_manager import TransactionManager


class ApplyDisputeUpdate(DisputeUpdates):
    """Applies each provider event once, in one transaction with its effect.

    Rules:
    - The event's id is recorded first (in `provider_events`); an id recorded before is
      DUPLICATE and nothing changes (a concurrent delivery of the same event waits for
      the first and then finds it).
    - An unknown dispute is UNKNOWN_TARGET; a dispute already in the reported status is
      ALREADY_SETTLED; a move off the graph (e.g. a CANCELED dispute reported WON) is
      REFUSED. None of these change anything or record the event.
    - Otherwise the dispute moves (`dispute.updated`, `dispute.won` or `dispute.lost`);
      WON also credits the payment's amount to the wallet with a CHARGEBACK ledger row
      (the database allows one per dispute). LOST and CLOSED move no money.
    """

    def __init__(
        self, *, book: DisputeBook, tx: TransactionManager, clock: Clock, ids: IdGenerator
    ) -> None:
        self._book = book
        self._tx = tx
        self._clock = clock
        self._ids = ids

    async def apply(self, event: DisputeUpdated) -> ProviderEventOutcome:
        target = PROVIDER_STATUSES[event.status]
        try:
            fresh = await self._book.record_provider_event(
                AppliedProviderEvent(
                    provider_event_id=event.provider_event_id,
                    type=ProviderEventType.DISPUTE_UPDATED.value,
                    subject_id=event.dispute_id,
                    outcome=ProviderEventOutcome.APPLIED.value,
                    created_at=event.created_at,
                )
            )
            if not fresh:
                await self._tx.rollback()
                return ProviderEventOutcome.DUPLICATE
            dispute = await self._book.lock(event.dispute_id, None)
            outcome = ProviderEventOutcome.APPLIED
            if dispute is None:
                outcome = ProviderEventOutcome.UNKNOWN_TARGET
            elif dispute.status is target:
                outcome = ProviderEventOutcome.ALREADY_SETTLED
            elif not dispute.can_move_to(target):
                outcome = ProviderEventOutcome.REFUSED
            if dispute is None or outcome is not ProviderEventOutcome.APPLIED:
                await self._tx.rollback()
                return outcome
            now = self._clock.now()
            moved = dispute.move_to(target, now)
            await self._book.save(moved, dispute_event(moved, event_id=self._ids.new_id(), at=now))
            if target is DisputeStatus.WON:
                await self._book.credit_chargeback(
                    new_chargeback(
                        id=self._ids.new_id(),
                        user_id=moved.user_id,
                        money=moved.money,
                        dispute_id=moved.id,
                        at=now,
                    )
                )
            await self._tx.commit()
        except BaseException:
            await self._tx.rollback()
            raise
        return ProviderEventOutcome.APPLIED
