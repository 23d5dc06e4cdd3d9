"""Publish one batch of committed outbox events to the broker."""

from __future__ import annotations

from dataclasses import dataclass

from wallet_domain.ports.clock import Clock
from wallet_domain.ports.event_publisher import EventPublisher
from wallet_domain.ports.outbox_relay import OutboxRelayStore
from wallet_domain.ports.transaction_manager import TransactionManager
from wallet_domain.unit_of_work import rolling_back


@dataclass(frozen=True, slots=True, kw_only=True)
class RelayBatchRequest:
    limit: int


@dataclass(frozen=True, slots=True, kw_only=True)
class RelayReport:
    claimed: int
    published: int
    failed: int

    def is_full(self, limit: int) -> bool:
        """A full batch means more events are probably waiting: go again at once."""
        return self.claimed >= limit


@dataclass(frozen=True, slots=True, kw_only=True)
class RelayOutbox:
    """Claim unsent events, publish them, and mark sent only what the broker confirmed.

    Rules: rows are claimed with locks other relays skip, so N relays publish disjoint
    batches; a row is marked sent only after the broker's confirm, so a crash at any
    point leaves it unsent and it is published again (delivery is at-least-once;
    consumers dedupe by event_id); an unconfirmed event gets its attempt counted and
    stays for the next batch; when the broker is unavailable the transaction is rolled
    back and `BrokerUnavailable` propagates so the caller backs off.
    """

    store: OutboxRelayStore
    publisher: EventPublisher
    tx: TransactionManager
    clock: Clock

    async def execute(self, request: RelayBatchRequest) -> RelayReport:
        if request.limit < 1:
            raise ValueError("limit must be positive")
        async with rolling_back(self.tx):
            messages = await self.store.claim_batch(request.limit)
            if not messages:
                await self.tx.rollback()
                return RelayReport(claimed=0, published=0, failed=0)
            confirmed = await self.publisher.publish_batch(messages)
            ids = [message.event.event_id for message in messages]
            sent = [event_id for event_id in ids if event_id in confirmed]
            failed = [event_id for event_id in ids if event_id not in confirmed]
            if sent:
                await self.store.mark_sent(sent, self.clock.now())
            if failed:
                await self.store.record_failure(failed)
            await self.tx.commit()
        return RelayReport(claimed=len(messages), published=len(sent), failed=len(failed))
