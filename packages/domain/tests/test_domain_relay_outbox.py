"""RelayOutbox and PurgeSentEvents: mark sent only what the broker confirmed; an event
the broker refuses waits out its own retry delay while the others go on."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from uuid import UUID

import pytest
from wallet_domain.model.events import DomainEvent, EventType
from wallet_domain.model.outbox_message import OutboxMessage
from wallet_domain.model.publish_retry import PublishRetry
from wallet_domain.ports.event_publisher import BrokerUnavailable
from wallet_domain.use_cases.purge_sent_events import PurgeSentEvents, PurgeSentRequest
from wallet_domain.use_cases.relay_outbox import (
    RelayBatchRequest,
    RelayOutbox,
    RelayReport,
    ScheduledRetry,
)
from wallet_testkit.fakes.clock import EPOCH, FixedClock, SequentialIds
from wallet_testkit.fakes.relay import FakeOutboxTable, FakeRelayUnitOfWork, ScriptedPublisher

RETRY = PublishRetry(base=timedelta(seconds=1), cap=timedelta(seconds=8))


class Relay:
    """A table, a publisher and a clock, with one unit of work per use-case run. The
    relay and the table (the database) share the clock unless a test sets it apart."""

    def __init__(self) -> None:
        self.clock = FixedClock()
        self.table = FakeOutboxTable(clock=self.clock)
        self.publisher = ScriptedPublisher()
        self.ids = SequentialIds()
        self.units: list[FakeRelayUnitOfWork] = []

    def seed(self, count: int) -> list[UUID]:
        messages = [self._message(i) for i in range(count)]
        self.table.add(messages)
        return [m.event.event_id for m in messages]

    def _message(self, i: int) -> OutboxMessage:
        event = DomainEvent(
            event_id=self.ids.new_id(),
            event_type=EventType.DEPOSIT_COMPLETED,
            occurred_at=EPOCH,
            aggregate_id=self.ids.new_id(),
            user_id="alice",
            payload={"amount": i},
        )
        return OutboxMessage(event=event, traceparent=None if i % 2 else f"00-{i:032x}-01")

    def unit(self) -> FakeRelayUnitOfWork:
        unit = FakeRelayUnitOfWork(self.table)
        self.units.append(unit)
        return unit

    def relay(self, unit: FakeRelayUnitOfWork | None = None) -> RelayOutbox:
        unit = unit or self.unit()
        return RelayOutbox(
            store=unit, publisher=self.publisher, tx=unit, clock=self.clock, retry=RETRY
        )

    def purger(self) -> PurgeSentEvents:
        unit = self.unit()
        return PurgeSentEvents(store=unit, tx=unit, clock=self.clock)


@pytest.fixture
def relay() -> Relay:
    return Relay()


async def test_publishes_claimed_events_and_marks_them_sent(relay: Relay) -> None:
    ids = relay.seed(3)

    report = await relay.relay().execute(RelayBatchRequest(limit=10))

    assert report == RelayReport(claimed=3, published=3, failed=0)
    assert [m.event.event_id for m in relay.publisher.published] == ids
    assert all(relay.table.rows[i].sent_at == EPOCH for i in ids)
    assert relay.units[0].commits == 1
    assert not relay.table.locked


async def test_traceparent_travels_with_the_event(relay: Relay) -> None:
    relay.seed(2)

    await relay.relay().execute(RelayBatchRequest(limit=10))

    assert [m.traceparent for m in relay.publisher.published] == [f"00-{0:032x}-01", None]


async def test_claims_at_most_limit_oldest_first(relay: Relay) -> None:
    ids = relay.seed(5)

    report = await relay.relay().execute(RelayBatchRequest(limit=2))

    assert report.claimed == 2
    assert report.is_full(2)
    assert relay.table.unsent() == set(ids[2:])


async def test_empty_outbox_publishes_nothing_and_rolls_back(relay: Relay) -> None:
    report = await relay.relay().execute(RelayBatchRequest(limit=10))

    assert report == RelayReport(claimed=0, published=0, failed=0)
    assert not report.is_full(10)
    assert relay.publisher.published == []
    assert relay.units[0].rollbacks == 1
    assert relay.units[0].commits == 0


async def test_unconfirmed_events_stay_unsent_with_attempt_counted(relay: Relay) -> None:
    ids = relay.seed(4)
    relay.publisher.refuse = {ids[1], ids[3]}

    report = await relay.relay().execute(RelayBatchRequest(limit=10))

    second = timedelta(seconds=1)
    assert report == RelayReport(
        claimed=4,
        published=2,
        failed=2,
        retries=tuple(
            ScheduledRetry(
                event_id=i, event_type=EventType.DEPOSIT_COMPLETED, attempts=1, retry_in=second
            )
            for i in (ids[1], ids[3])
        ),
    )
    assert relay.table.unsent() == {ids[1], ids[3]}
    assert relay.table.rows[ids[1]].attempts == 1
    assert relay.table.rows[ids[1]].next_attempt_at == EPOCH + second
    assert relay.table.rows[ids[0]].attempts == 0


async def test_a_refused_event_is_not_claimed_again_before_its_retry_is_due(
    relay: Relay,
) -> None:
    ids = relay.seed(2)
    relay.publisher.refuse = {ids[0]}
    await relay.relay().execute(RelayBatchRequest(limit=10))
    relay.publisher.refuse = set()
    relay.publisher.published.clear()

    relay.clock.advance(timedelta(milliseconds=999))
    early = await relay.relay().execute(RelayBatchRequest(limit=10))
    relay.clock.advance(timedelta(milliseconds=1))
    due = await relay.relay().execute(RelayBatchRequest(limit=10))

    assert early == RelayReport(claimed=0, published=0, failed=0)
    assert due == RelayReport(claimed=1, published=1, failed=0)
    assert [m.event.event_id for m in relay.publisher.published] == [ids[0]]
    assert relay.table.unsent() == set()


async def test_the_retry_delay_doubles_per_failed_attempt_up_to_the_cap(relay: Relay) -> None:
    (poison,) = relay.seed(1)
    relay.publisher.refuse = {poison}
    waits = []
    for _ in range(6):
        report = await relay.relay().execute(RelayBatchRequest(limit=10))
        (retry,) = report.retries
        waits.append(retry.retry_in)
        assert relay.table.rows[poison].next_attempt_at == relay.clock.now() + retry.retry_in
        relay.clock.advance(retry.retry_in)  # exactly due: claimed again

    assert [wait.total_seconds() for wait in waits] == [1, 2, 4, 8, 8, 8]
    assert relay.table.rows[poison].attempts == 6
    assert [m.event.event_id for m in relay.publisher.published] == [poison] * 6


async def test_a_retry_is_due_on_the_store_clock_whatever_the_relay_clock_says(
    relay: Relay,
) -> None:
    (event_id,) = relay.seed(1)
    relay.publisher.refuse = {event_id}
    database = FixedClock()
    relay.table.clock = database
    relay.clock.advance(timedelta(hours=1))  # this relay's clock runs an hour ahead
    await relay.relay().execute(RelayBatchRequest(limit=10))
    relay.publisher.refuse = set()

    relay.clock.advance(timedelta(hours=1))  # even two hours ahead: not due before its delay
    early = await relay.relay().execute(RelayBatchRequest(limit=10))
    database.advance(RETRY.delay(1))
    due = await relay.relay().execute(RelayBatchRequest(limit=10))

    assert relay.table.rows[event_id].next_attempt_at == EPOCH + RETRY.delay(1)
    assert early == RelayReport(claimed=0, published=0, failed=0)
    assert due == RelayReport(claimed=1, published=1, failed=0)


async def test_events_around_one_that_keeps_failing_are_published_at_once(
    relay: Relay,
) -> None:
    older, poison, newer = relay.seed(3)
    relay.publisher.refuse = {poison}
    first = await relay.relay().execute(RelayBatchRequest(limit=10))
    later = relay.seed(2)  # committed while the poison waits for its retry

    second = await relay.relay().execute(RelayBatchRequest(limit=10))

    assert (first.published, first.failed) == (2, 1)
    assert second == RelayReport(claimed=2, published=2, failed=0)
    assert relay.table.unsent() == {poison}
    assert {older, newer, *later} == {
        m.event.event_id for m in relay.publisher.published if m.event.event_id != poison
    }


async def test_a_batch_worth_of_failing_events_does_not_keep_newer_ones_unclaimed(
    relay: Relay,
) -> None:
    poison = relay.seed(3)
    relay.publisher.refuse = set(poison)
    full = await relay.relay().execute(RelayBatchRequest(limit=3))  # every claim fails
    healthy = relay.seed(3)

    report = await relay.relay().execute(RelayBatchRequest(limit=3))

    assert (full.claimed, full.failed) == (3, 3)
    assert report == RelayReport(claimed=3, published=3, failed=0)
    assert relay.table.unsent() == set(poison)
    assert not set(healthy) & relay.table.unsent()


async def test_a_due_retry_is_claimed_in_event_order_with_the_new_events(
    relay: Relay,
) -> None:
    (poison,) = relay.seed(1)
    relay.publisher.refuse = {poison}
    await relay.relay().execute(RelayBatchRequest(limit=10))
    relay.publisher.refuse = set()
    newer = relay.seed(2)
    relay.clock.advance(timedelta(seconds=1))
    relay.publisher.published.clear()

    report = await relay.relay().execute(RelayBatchRequest(limit=10))

    assert report == RelayReport(claimed=3, published=3, failed=0)
    assert [m.event.event_id for m in relay.publisher.published] == [poison, *newer]


async def test_broker_unavailable_rolls_back_and_keeps_every_event(relay: Relay) -> None:
    ids = relay.seed(3)
    relay.publisher.down = True

    with pytest.raises(BrokerUnavailable):
        await relay.relay().execute(RelayBatchRequest(limit=10))

    assert relay.table.unsent() == set(ids)
    assert all(relay.table.rows[i].attempts == 0 for i in ids)
    assert all(relay.table.rows[i].next_attempt_at is None for i in ids)  # due at once
    assert not relay.table.locked
    assert relay.units[0].rollbacks == 1
    assert relay.units[0].commits == 0

    relay.publisher.down = False
    report = await relay.relay().execute(RelayBatchRequest(limit=10))
    assert report.published == 3
    assert relay.table.unsent() == set()


async def test_concurrent_relays_claim_disjoint_batches(relay: Relay) -> None:
    relay.seed(6)
    first, second = relay.unit(), relay.unit()
    seen: list[list[UUID]] = []

    class Recording(ScriptedPublisher):
        async def publish_batch(self, messages: Sequence[OutboxMessage]) -> set[UUID]:
            seen.append([m.event.event_id for m in messages])
            if len(seen) == 1:  # the second relay claims while the first is publishing
                await RelayOutbox(
                    store=second, publisher=self, tx=second, clock=relay.clock, retry=RETRY
                ).execute(RelayBatchRequest(limit=4))
            return {m.event.event_id for m in messages}

    relay.publisher = Recording()
    await relay.relay(first).execute(RelayBatchRequest(limit=4))

    assert len(seen) == 2
    assert not set(seen[0]) & set(seen[1])
    assert len(seen[0]) == 4
    assert len(seen[1]) == 2
    assert relay.table.unsent() == set()


async def test_unexpected_error_rolls_back_and_propagates(relay: Relay) -> None:
    ids = relay.seed(1)

    class Exploding(ScriptedPublisher):
        async def publish_batch(self, messages: Sequence[OutboxMessage]) -> set[UUID]:
            raise RuntimeError("bug")

    relay.publisher = Exploding()
    with pytest.raises(RuntimeError):
        await relay.relay().execute(RelayBatchRequest(limit=10))

    assert relay.table.unsent() == set(ids)
    assert relay.units[0].rollbacks == 1


async def test_limit_must_be_positive(relay: Relay) -> None:
    with pytest.raises(ValueError, match="limit"):
        await relay.relay().execute(RelayBatchRequest(limit=0))


async def test_purge_deletes_only_events_sent_before_the_cutoff(relay: Relay) -> None:
    ids = relay.seed(5)
    await relay.relay().execute(RelayBatchRequest(limit=3))  # sent at EPOCH
    relay.clock.advance(timedelta(hours=2))
    relay.publisher.refuse = {ids[4]}
    await relay.relay().execute(RelayBatchRequest(limit=3))  # ids[3] sent at EPOCH + 2h

    report = await relay.purger().execute(PurgeSentRequest(older_than=timedelta(hours=1), batch=2))

    assert report.deleted == 3
    assert set(relay.table.rows) == {ids[3], ids[4]}
    assert relay.units[-1].commits == 2  # a full batch of 2, then one of 1


async def test_purge_never_deletes_unsent_events(relay: Relay) -> None:
    ids = relay.seed(2)
    relay.clock.advance(timedelta(days=30))

    report = await relay.purger().execute(PurgeSentRequest(older_than=timedelta(0), batch=10))

    assert report.deleted == 0
    assert set(relay.table.rows) == set(ids)


async def test_purge_batch_must_be_positive(relay: Relay) -> None:
    with pytest.raises(ValueError, match="batch"):
        await relay.purger().execute(PurgeSentRequest(older_than=timedelta(0), batch=0))
