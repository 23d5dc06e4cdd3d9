"""PurgeConsumerInbox: old records of one consumer go, in bounded batches and at most
`max_rows` per run; a record younger than the retention stays, so its event's redelivery
is still not counted."""

from __future__ import annotations

from datetime import timedelta
from typing import Final
from uuid import UUID, uuid4

import pytest
from wallet_domain.use_cases.count_payment_event import (
    METRICS_CONSUMER,
    CountPaymentEventRequest,
)
from wallet_domain.use_cases.purge_consumer_inbox import (
    MIN_RETENTION,
    InboxPurged,
    PurgeConsumerInbox,
    PurgeInboxRequest,
)
from wallet_testkit.fakes.consumers import (
    ConsumerStore,
    FakeConsumerInbox,
    RecordingMetrics,
    count_use_case,
    make_event,
    purge_use_case,
)

WEEK: Final = timedelta(days=7)


def _request(
    *, older_than: timedelta = WEEK, batch: int = 100, max_rows: int = 1_000_000
) -> PurgeInboxRequest:
    return PurgeInboxRequest(
        consumer=METRICS_CONSUMER, older_than=older_than, batch=batch, max_rows=max_rows
    )


async def _record(store: ConsumerStore, consumer: str, count: int) -> list[UUID]:
    _, inbox = count_use_case(store, RecordingMetrics())
    ids = [uuid4() for _ in range(count)]
    for event_id in ids:
        assert await inbox.first_time(consumer, event_id)
    return ids


async def _purge_over_expired(
    count: int,
) -> tuple[ConsumerStore, PurgeConsumerInbox, FakeConsumerInbox]:
    """A store holding `count` records of the metrics consumer, two weeks old, and a purge
    (with its inbox) over it."""
    store = ConsumerStore()
    await _record(store, METRICS_CONSUMER, count)
    store.clock.advance(WEEK * 2)
    purge, inbox = purge_use_case(store)
    return store, purge, inbox


async def test_only_this_consumers_records_older_than_the_retention_go() -> None:
    store = ConsumerStore()
    old = await _record(store, METRICS_CONSUMER, 3)
    others = await _record(store, "another-consumer", 2)
    store.clock.advance(WEEK + timedelta(seconds=1))
    young = await _record(store, METRICS_CONSUMER, 2)
    purge, _ = purge_use_case(store)

    report = await purge.execute(_request())

    assert report == InboxPurged(deleted=3, capped=False)
    assert set(store.inbox) == {(METRICS_CONSUMER, i) for i in young} | {
        ("another-consumer", i) for i in others
    }
    assert not {(METRICS_CONSUMER, i) for i in old} & set(store.inbox)


async def test_a_record_exactly_at_the_cutoff_is_kept() -> None:
    store = ConsumerStore()
    [kept] = await _record(store, METRICS_CONSUMER, 1)
    store.clock.advance(WEEK)
    purge, _ = purge_use_case(store)

    assert (await purge.execute(_request())).deleted == 0
    assert (METRICS_CONSUMER, kept) in store.inbox


@pytest.mark.parametrize(
    ("old", "batch", "limits"),
    [
        (5, 2, [2, 2, 2]),  # 2 + 2 + a short 1: done
        (4, 2, [2, 2, 2]),  # two full batches, then an empty one to know it is done
        (0, 2, [2]),
        (3, 10, [10]),
    ],
)
async def test_deletes_in_batches_until_one_comes_back_short(
    old: int, batch: int, limits: list[int]
) -> None:
    store, purge, inbox = await _purge_over_expired(old)

    report = await purge.execute(_request(batch=batch))

    assert report.deleted == old
    assert inbox.forget_calls == limits
    assert not store.inbox


@pytest.mark.parametrize(
    ("old", "batch", "max_rows", "limits", "report"),
    [
        (10, 2, 5, [2, 2, 1], InboxPurged(deleted=5, capped=True)),  # last batch shortened
        (10, 2, 4, [2, 2], InboxPurged(deleted=4, capped=True)),
        (4, 2, 4, [2, 2], InboxPurged(deleted=4, capped=True)),  # the next run finds none
        (3, 2, 4, [2, 2], InboxPurged(deleted=3, capped=False)),  # a short batch ends it
        (1, 2, 2, [2], InboxPurged(deleted=1, capped=False)),
    ],
)
async def test_a_run_deletes_at_most_max_rows(
    old: int, batch: int, max_rows: int, limits: list[int], report: InboxPurged
) -> None:
    store, purge, inbox = await _purge_over_expired(old)

    assert await purge.execute(_request(batch=batch, max_rows=max_rows)) == report

    assert inbox.forget_calls == limits
    assert len(store.inbox) == old - report.deleted


async def test_what_a_capped_run_leaves_the_next_runs_carry_on_with() -> None:
    store, purge, _ = await _purge_over_expired(10)
    request = _request(batch=2, max_rows=4)

    runs = [await purge.execute(request) for _ in range(3)]

    assert runs == [
        InboxPurged(deleted=4, capped=True),
        InboxPurged(deleted=4, capped=True),
        InboxPurged(deleted=2, capped=False),
    ]
    assert not store.inbox


async def test_a_capped_run_leaves_the_youngest_old_records() -> None:
    store = ConsumerStore()
    ids: list[UUID] = []
    for _ in range(5):
        ids += await _record(store, METRICS_CONSUMER, 1)
        store.clock.advance(timedelta(seconds=1))
    store.clock.advance(WEEK * 2)
    purge, _ = purge_use_case(store)

    await purge.execute(_request(batch=2, max_rows=3))

    assert set(store.inbox) == {(METRICS_CONSUMER, i) for i in ids[3:]}


@pytest.mark.parametrize(("batch", "max_rows"), [(2, 1), (100, 99), (1, 0)])
async def test_max_rows_below_one_batch_is_refused_and_deletes_nothing(
    batch: int, max_rows: int
) -> None:
    store, purge, inbox = await _purge_over_expired(2)

    with pytest.raises(ValueError, match="max_rows"):
        await purge.execute(_request(batch=batch, max_rows=max_rows))

    assert len(store.inbox) == 2
    assert inbox.forget_calls == []


async def test_a_redelivery_within_the_retention_is_still_not_counted_after_a_purge() -> None:
    store = ConsumerStore()
    metrics = RecordingMetrics()
    count, _ = count_use_case(store, metrics)
    event = make_event()
    assert (await count.execute(CountPaymentEventRequest(event=event))).counted
    store.clock.advance(WEEK - timedelta(minutes=1))  # e.g. a DLQ replay six days later
    purge, _ = purge_use_case(store)

    await purge.execute(_request())
    again = await count.execute(CountPaymentEventRequest(event=event))

    assert not again.counted
    assert len(metrics.calls) == 1


@pytest.mark.parametrize("older_than", [timedelta(0), MIN_RETENTION - timedelta(seconds=1), -WEEK])
async def test_a_retention_shorter_than_the_minimum_is_refused_and_deletes_nothing(
    older_than: timedelta,
) -> None:
    store, purge, inbox = await _purge_over_expired(2)

    with pytest.raises(ValueError, match="at least"):
        await purge.execute(_request(older_than=older_than))

    assert len(store.inbox) == 2
    assert inbox.forget_calls == []


async def test_the_minimum_retention_itself_is_allowed() -> None:
    store = ConsumerStore()
    await _record(store, METRICS_CONSUMER, 1)
    store.clock.advance(MIN_RETENTION + timedelta(seconds=1))
    purge, _ = purge_use_case(store)

    assert (await purge.execute(_request(older_than=MIN_RETENTION))).deleted == 1


async def test_batch_must_be_positive() -> None:
    purge, inbox = purge_use_case(ConsumerStore())

    with pytest.raises(ValueError, match="batch"):
        await purge.execute(_request(batch=0))
    assert inbox.forget_calls == []


async def test_a_failed_batch_propagates_keeps_earlier_batches_and_the_next_run_finishes() -> None:
    store, purge, inbox = await _purge_over_expired(5)
    inbox.forget_fails_at[2] = ConnectionError("database went away")

    with pytest.raises(ConnectionError):
        await purge.execute(_request(batch=2))
    assert len(store.inbox) == 3  # the first batch of 2 stayed deleted

    assert (await purge.execute(_request(batch=2))).deleted == 3
    assert not store.inbox
