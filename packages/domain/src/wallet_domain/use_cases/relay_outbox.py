"""Publish one batch of committed outbox events to the broker."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from uuid import UUID

from wallet_domain.model.events import EventType
from wallet_domain.model.publish_retry import PublishRetry
from wallet_domain.ports.clock import Clock
from wallet_domain.ports.event_publisher import EventPublisher
from wallet_domain.ports.outbox_relay import OutboxRelayStore
from wallet_domain.ports.transaction_manager import TransactionManager
from wallet_domain.unit_of_work import rolling_back


@dataclass(frozen=True, slots=True, kw_only=True)
class RelayBatchRequest:
    limit: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ScheduledRetry:
    """An event the broker did not confirm: its failed attempts so far and how long after
    this failure (on the store's clock) it is offered again."""

    event_id: UUID
    event_type: EventType
    attempts: int
    retry_in: timedelta


@dataclass(frozen=True, slots=True, kw_only=True)
class RelayReport:
    claimed: int
    published: int
    failed: int
    retries: tuple[ScheduledRetry, ...] = ()

    def is_full(self, limit: int) -> bool:
        """A full batch means more events are probably waiting: go again at once."""
        return self.claimed >= limit


@dataclass(frozen=True, slots=True, kw_only=True)
class RelayOutbox:
    """Claim due unsent events, publish them, and mark sent only what the broker confirmed.

    Rules: rows are claimed with locks other relays skip, so N relays publish disjoint
    batches; a row is marked sent only after the broker's confirm, so a crash at any
    point leaves it unsent and it is published again (delivery is at-least-once;
    consumers dedupe by event_id); an unconfirmed event gets its attempt counted and is
    set aside until `retry` says it is due again, per event, so an event the broker
    keeps refusing never holds back the others (they are claimed past it); this use
    case decides the delay and the store counts it on its own clock, the one every
    relay claims by, whatever each relay's clock says; when the broker is unavailable
    as a whole the transaction is rolled back, no attempt is counted, and
    `BrokerUnavailable` propagates so the caller backs off.
    """

    store: OutboxRelayStore
    publisher: EventPublisher
    tx: TransactionManager
    clock: Clock
    retry: PublishRetry

    async def execute(self, request: RelayBatchRequest) -> RelayReport:
        if request.limit < 1:
            raise ValueError("limit must be positive")
        async with rolling_back(self.tx):
            messages = await self.store.claim_batch(request.limit)
            if not messages:
                await self.tx.rollback()
                return RelayReport(claimed=0, published=0, failed=0)
            confirmed = await self.publisher.publish_batch(messages)
            now = self.clock.now()
            sent = [m.event.event_id for m in messages if m.event.event_id in confirmed]
            retries = tuple(
                ScheduledRetry(
                    event_id=m.event.event_id,
                    event_type=m.event.event_type,
                    attempts=m.attempts + 1,
                    retry_in=self.retry.delay(m.attempts + 1),
                )
                for m in messages
                if m.event.event_id not in confirmed
            )
            if sent:
                await self.store.mark_sent(sent, now)
            if retries:
                await self.store.record_failure({r.event_id: r.retry_in for r in retries})
            await self.tx.commit()
        return RelayReport(
            claimed=len(messages), published=len(sent), failed=len(retries), retries=retries
        )
