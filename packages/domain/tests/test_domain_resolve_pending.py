"""ResolvePendingPayments (the recovery worker): settle stale PENDING payments exactly once."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from itertools import pairwise
from uuid import UUID

import pytest
from wallet_domain.model.idempotency import IdempotencyState, StoredResponse
from wallet_domain.model.transaction import LedgerEntry, TransactionStatus, TransactionType
from wallet_domain.ports.payment_gateway import ChargeRequest, ChargeStatus, LookupStatus
from wallet_domain.use_cases.resolve_pending_payments import (
    ResolvePendingRequest,
    ResolveReport,
)
from wallet_testkit.fakes.response_encoder import body
from wallet_testkit.fakes.store import assert_money_invariants
from wallet_testkit.fakes.world import World, bill_payment

START = 10_000
STALE = ResolvePendingRequest(older_than=timedelta(minutes=5), batch=10, lookup_timeout_s=2)
RECHECK = timedelta(seconds=30)  # the world's first recheck delay


async def _crash(_: ChargeRequest) -> None:
    raise RuntimeError("process killed between transaction 1 and 2")


async def _stranded_payment(world: World, key: str, amount: int = 1_000) -> LedgerEntry:
    """A payment whose request died after the debit: PENDING, key IN_PROGRESS."""
    world.gateway.on_charge = _crash
    with pytest.raises(RuntimeError):
        await world.pay().execute(bill_payment(key, amount))
    world.gateway.on_charge = None
    [payment] = [
        p
        for p in world.db.entries(type=TransactionType.PAYMENT)
        if p.external_reference == f"bill-{key}"
    ]
    assert payment.status is TransactionStatus.PENDING
    return payment


@pytest.fixture
def alice(world: World) -> World:
    world.seed_wallet("alice", USD=START)
    return world


@pytest.mark.parametrize(
    ("lookup", "status", "http", "refunded"),
    [
        (LookupStatus.APPROVED, TransactionStatus.APPROVED, 201, False),
        (LookupStatus.DECLINED, TransactionStatus.DECLINED, 402, True),
        (LookupStatus.NOT_CHARGED, TransactionStatus.FAILED, 504, True),
    ],
)
async def test_a_stale_payment_is_settled_and_its_key_completed(
    alice: World, lookup: LookupStatus, status: TransactionStatus, http: int, refunded: bool
) -> None:
    payment = await _stranded_payment(alice, "k1")
    alice.clock.advance(timedelta(minutes=6))
    alice.gateway.script(lookups=[lookup])
    scope = alice.scope()

    report = await alice.resolver(scope).execute(STALE)

    assert report == ResolveReport(resolved=1, still_pending=0)
    settled = alice.db.committed.ledger[payment.id]
    assert settled.status is status
    assert len(alice.db.refunds_of(payment.id)) == (1 if refunded else 0)
    assert alice.db.balance("alice", "USD") == (START if refunded else START - 1_000)
    assert alice.gateway.lookup_calls == [payment.id]
    record = alice.db.record("alice", "k1")
    assert record is not None
    assert record.state is IdempotencyState.COMPLETED
    assert record.response is not None
    assert record.response.status_code == http
    assert body(record.response).get("status", status.value) == status.value
    assert scope.tx.commits == 1
    assert not alice.db.locks
    assert_money_invariants(alice.db)


async def test_an_unknown_outcome_stays_pending_and_is_not_refunded(alice: World) -> None:
    payment = await _stranded_payment(alice, "k1")
    alice.clock.advance(timedelta(minutes=6))
    alice.gateway.script(lookups=[LookupStatus.UNKNOWN])

    report = await alice.resolver().execute(STALE)

    assert report == ResolveReport(resolved=0, still_pending=1)
    assert alice.db.committed.ledger[payment.id].status is TransactionStatus.PENDING
    assert alice.db.refunds_of(payment.id) == []
    assert alice.db.balance("alice", "USD") == START - 1_000
    record = alice.db.record("alice", "k1")
    assert record is not None
    assert record.state is IdempotencyState.IN_PROGRESS
    assert alice.gateway.lookup_calls == [payment.id], "asked once per round"
    assert not alice.db.locks

    alice.clock.advance(RECHECK)
    alice.gateway.script(lookups=[LookupStatus.APPROVED])
    assert await alice.resolver().execute(STALE) == ResolveReport(resolved=1, still_pending=0)
    assert alice.db.committed.ledger[payment.id].status is TransactionStatus.APPROVED
    assert_money_invariants(alice.db)


async def test_a_younger_stranded_payment_is_resolved_although_older_ones_stay_unknown(
    alice: World,
) -> None:
    """The provider holds the oldest payments' charges for good; a round's batch takes
    only some of them. A younger payment the provider never saw (a crash after its debit)
    is still reached in the next round, refunded, and its key gets its reply."""
    held = []
    for key in ("h1", "h2", "h3"):
        held.append(await _stranded_payment(alice, key))
        alice.clock.advance(timedelta(seconds=1))
    for payment in held:
        alice.gateway.known[payment.id] = LookupStatus.PENDING
    younger = await _stranded_payment(alice, "young")
    alice.gateway.known[younger.id] = LookupStatus.NOT_CHARGED
    alice.clock.advance(timedelta(minutes=6))
    batch = replace(STALE, batch=2)

    reports = []
    for _ in range(3):
        reports.append(await alice.resolver().execute(batch))
        alice.clock.advance(timedelta(seconds=10))  # the worker's interval

    assert reports == [
        ResolveReport(resolved=0, still_pending=2),
        ResolveReport(resolved=1, still_pending=1),
        ResolveReport(resolved=0, still_pending=0),  # nothing due yet
    ]
    assert alice.gateway.lookup_calls == [p.id for p in (*held, younger)]
    assert alice.db.committed.ledger[younger.id].status is TransactionStatus.FAILED
    assert len(alice.db.refunds_of(younger.id)) == 1
    record = alice.db.record("alice", "young")
    assert record is not None
    assert record.state is IdempotencyState.COMPLETED
    for payment in held:
        assert alice.db.committed.ledger[payment.id].status is TransactionStatus.PENDING
    assert alice.db.balance("alice", "USD") == START - 3_000
    assert len(alice.recheck_backoff) == 3
    assert_money_invariants(alice.db)


async def test_a_payment_not_asked_about_yet_comes_before_due_rechecks(alice: World) -> None:
    held = await _stranded_payment(alice, "held")
    alice.gateway.known[held.id] = LookupStatus.PENDING
    alice.clock.advance(timedelta(minutes=6))
    one = replace(STALE, batch=1)
    await alice.resolver().execute(one)
    younger = await _stranded_payment(alice, "young")
    alice.gateway.known[younger.id] = LookupStatus.NOT_CHARGED
    alice.clock.advance(timedelta(minutes=6))  # both stale, the held one due again

    assert await alice.resolver().execute(one) == ResolveReport(resolved=1, still_pending=0)
    assert await alice.resolver().execute(one) == ResolveReport(resolved=0, still_pending=1)

    assert alice.gateway.lookup_calls == [held.id, younger.id, held.id]


async def test_an_unknown_outcome_is_asked_again_with_a_growing_delay_until_it_is_known(
    alice: World,
) -> None:
    payment = await _stranded_payment(alice, "k1")
    alice.gateway.known[payment.id] = LookupStatus.PENDING
    alice.clock.advance(timedelta(minutes=6))
    asked_at = []

    for _ in range(120):  # every 10 s for 20 minutes, as the worker's interval
        before = len(alice.gateway.lookup_calls)
        report = await alice.resolver().execute(STALE)
        if len(alice.gateway.lookup_calls) > before:
            asked_at.append(alice.clock.now())
            assert report == ResolveReport(resolved=0, still_pending=1)
        alice.clock.advance(timedelta(seconds=10))

    gaps = [(b - a).total_seconds() for a, b in pairwise(asked_at)]
    assert gaps == [30, 60, 120, 240, 300, 300], "doubling from RECHECK up to the world's cap"
    assert alice.db.committed.ledger[payment.id].status is TransactionStatus.PENDING

    alice.gateway.known[payment.id] = LookupStatus.APPROVED  # the provider decided
    alice.clock.advance(timedelta(minutes=5))
    assert await alice.resolver().execute(STALE) == ResolveReport(resolved=1, still_pending=0)
    assert alice.db.committed.ledger[payment.id].status is TransactionStatus.APPROVED
    assert alice.db.refunds_of(payment.id) == []
    assert len(alice.recheck_backoff) == 0
    assert_money_invariants(alice.db)


async def test_payments_settled_elsewhere_are_no_longer_waited_for(alice: World) -> None:
    payment = await _stranded_payment(alice, "k1")
    alice.gateway.known[payment.id] = LookupStatus.PENDING
    alice.clock.advance(timedelta(minutes=6))
    await alice.resolver().execute(STALE)
    assert len(alice.recheck_backoff) == 1
    scope = alice.scope()  # the provider's webhook settles it meanwhile
    pending = alice.db.committed.ledger[payment.id]
    await alice.settlement(scope).settle(pending, TransactionStatus.APPROVED, timed_out=True)
    await scope.tx.commit()

    assert await alice.resolver().execute(STALE) == ResolveReport(resolved=0, still_pending=0)

    assert len(alice.recheck_backoff) == 0
    assert not alice.db.locks


async def test_a_round_for_one_payment_asks_whatever_its_recheck_delay(alice: World) -> None:
    payment = await _stranded_payment(alice, "k1")
    alice.gateway.known[payment.id] = LookupStatus.PENDING
    alice.clock.advance(timedelta(minutes=6))
    await alice.resolver().execute(STALE)
    alice.gateway.known[payment.id] = LookupStatus.APPROVED

    report = await alice.resolver().execute(replace(STALE, payment_id=payment.id))

    assert report == ResolveReport(resolved=1, still_pending=0)
    assert alice.gateway.lookup_calls == [payment.id, payment.id]


async def test_an_unavailable_gateway_stops_the_round_and_leaves_payments_held(
    alice: World,
) -> None:
    first = await _stranded_payment(alice, "k1")
    second = await _stranded_payment(alice, "k2")
    alice.clock.advance(timedelta(minutes=6))
    alice.gateway.unavailable = True  # circuit open or bulkhead full

    report = await alice.resolver().execute(STALE)

    assert report == ResolveReport(resolved=0, still_pending=0, gateway_unavailable=True)
    assert alice.gateway.lookup_calls == [], "nothing is asked of a gateway that is refused"
    for payment in (first, second):
        assert alice.db.committed.ledger[payment.id].status is TransactionStatus.PENDING
        assert alice.db.refunds_of(payment.id) == []
    assert alice.db.balance("alice", "USD") == START - 2_000
    assert not alice.db.locks

    alice.gateway.unavailable = False
    admitted = alice.gateway.admitted
    alice.gateway.script(lookups=[LookupStatus.NOT_CHARGED, LookupStatus.APPROVED])
    assert await alice.resolver().execute(STALE) == ResolveReport(resolved=2, still_pending=0)
    assert alice.gateway.admitted == admitted + 2, "each lookup went through admission"
    assert_money_invariants(alice.db)


async def test_young_payments_are_left_to_their_own_request(alice: World) -> None:
    payment = await _stranded_payment(alice, "k1")
    alice.clock.advance(timedelta(minutes=4))

    assert await alice.resolver().execute(STALE) == ResolveReport(resolved=0, still_pending=0)

    assert alice.gateway.lookup_calls == []
    assert alice.db.committed.ledger[payment.id].status is TransactionStatus.PENDING


async def test_settled_payments_are_not_touched(alice: World) -> None:
    alice.gateway.script(charges=[ChargeStatus.DECLINED])
    await alice.pay().execute(bill_payment("done", 5))
    alice.clock.advance(timedelta(hours=1))
    before = alice.db.committed.copy()

    assert await alice.resolver().execute(STALE) == ResolveReport(resolved=0, still_pending=0)
    assert alice.db.committed == before


async def test_a_round_resolves_at_most_batch_payments_oldest_first(alice: World) -> None:
    payments = []
    for key in ("a", "b", "c"):
        payments.append(await _stranded_payment(alice, key))
        alice.clock.advance(timedelta(seconds=1))
    alice.clock.advance(timedelta(minutes=6))
    alice.gateway.script(lookups=[LookupStatus.APPROVED] * 3)

    report = await alice.resolver().execute(
        ResolvePendingRequest(older_than=timedelta(minutes=5), batch=2, lookup_timeout_s=1)
    )

    assert report == ResolveReport(resolved=2, still_pending=0)
    assert alice.gateway.lookup_calls == [payments[0].id, payments[1].id]
    assert alice.db.committed.ledger[payments[2].id].status is TransactionStatus.PENDING


async def test_concurrent_workers_resolve_each_payment_once(alice: World) -> None:
    first = await _stranded_payment(alice, "a")
    second = await _stranded_payment(alice, "b")
    alice.clock.advance(timedelta(minutes=6))
    alice.gateway.script(lookups=[LookupStatus.NOT_CHARGED] * 2)
    reports: list[ResolveReport] = []

    async def other_worker_runs_meanwhile(payment_id: UUID) -> None:
        alice.gateway.on_lookup = None
        reports.append(await alice.resolver().execute(STALE))

    alice.gateway.on_lookup = other_worker_runs_meanwhile
    reports.append(await alice.resolver().execute(STALE))

    assert sorted(alice.gateway.lookup_calls) == sorted([first.id, second.id])
    assert sum(r.resolved for r in reports) == 2
    for payment in (first, second):
        assert alice.db.committed.ledger[payment.id].status is TransactionStatus.FAILED
        assert len(alice.db.refunds_of(payment.id)) == 1
        assert alice.db.event_types(payment.id).count("payment.failed") == 1
    assert alice.db.balance("alice", "USD") == START
    assert_money_invariants(alice.db)


async def test_a_failing_lookup_rolls_back_releases_the_row_and_sets_the_payment_aside(
    alice: World,
) -> None:
    payment = await _stranded_payment(alice, "k1")
    alice.clock.advance(timedelta(minutes=6))
    scope = alice.scope()

    report = await alice.resolver(scope).execute(STALE)  # the lookup is unscripted: raises

    assert [f.payment_id for f in report.failed] == [payment.id]
    assert report.failed[0].error_type == "AssertionError"
    assert scope.tx.rollbacks >= 1
    assert not alice.db.locks
    assert alice.db.committed.ledger[payment.id].status is TransactionStatus.PENDING


async def test_a_payment_that_cannot_be_settled_does_not_stop_the_others(alice: World) -> None:
    broken = await _stranded_payment(alice, "k1")
    others = [await _stranded_payment(alice, f"k{i}") for i in range(2, 5)]
    alice.db.unsettleable.add(broken.id)  # the oldest: first in every round
    alice.clock.advance(timedelta(minutes=6))
    alice.gateway.script(lookups=[LookupStatus.DECLINED] * 4)

    report = await alice.resolver().execute(STALE)

    assert report.resolved == 3
    assert [f.payment_id for f in report.failed] == [broken.id]
    assert report.failed[0].retry_at == alice.clock.now() + timedelta(minutes=1)
    for payment in others:
        assert alice.db.committed.ledger[payment.id].status is TransactionStatus.DECLINED
    assert alice.db.committed.ledger[broken.id].status is TransactionStatus.PENDING
    assert not alice.db.locks
    assert_money_invariants(alice.db)


async def test_a_set_aside_payment_waits_out_its_backoff_then_settles(alice: World) -> None:
    broken = await _stranded_payment(alice, "k1")
    alice.db.unsettleable.add(broken.id)
    alice.clock.advance(timedelta(minutes=6))
    alice.gateway.script(lookups=[LookupStatus.DECLINED])
    await alice.resolver().execute(STALE)

    # Inside the backoff: not even looked up again.
    alice.clock.advance(timedelta(seconds=59))
    lookups_before = len(alice.gateway.lookup_calls)
    assert await alice.resolver().execute(STALE) == ResolveReport(resolved=0, still_pending=0)
    assert len(alice.gateway.lookup_calls) == lookups_before

    # Still failing after it: set aside again, for twice as long.
    alice.clock.advance(timedelta(seconds=1))
    alice.gateway.script(lookups=[LookupStatus.DECLINED])
    report = await alice.resolver().execute(STALE)
    assert report.failed[0].retry_at == alice.clock.now() + timedelta(minutes=2)

    # Fixed: settled on the first round after the delay, and forgotten.
    alice.db.unsettleable.clear()
    alice.clock.advance(timedelta(minutes=2))
    alice.gateway.script(lookups=[LookupStatus.DECLINED])
    assert (await alice.resolver().execute(STALE)).resolved == 1
    assert len(alice.settle_backoff) == 0
    assert alice.db.balance("alice", "USD") == START
    assert_money_invariants(alice.db)


async def test_a_request_that_already_replied_keeps_its_reply(alice: World) -> None:
    alice.gateway.script(charges=[ChargeStatus.UNKNOWN], lookups=[LookupStatus.UNKNOWN])
    request = bill_payment("k1", 700)
    first = await alice.pay().execute(request)
    assert first.response.status_code == 504
    alice.clock.advance(timedelta(minutes=6))
    alice.gateway.script(lookups=[LookupStatus.APPROVED])

    assert await alice.resolver().execute(STALE) == ResolveReport(resolved=1, still_pending=0)

    record = alice.db.record("alice", "k1")
    assert record is not None
    assert record.response == first.response
    assert (await alice.pay().execute(request)).response == first.response


async def test_a_payment_settled_meanwhile_is_not_settled_twice(alice: World) -> None:
    payment = await _stranded_payment(alice, "k1")
    alice.clock.advance(timedelta(minutes=6))
    alice.gateway.script(lookups=[LookupStatus.NOT_CHARGED])

    winner: list[StoredResponse] = []

    async def settled_by_someone_else(payment_id: UUID) -> None:
        scope = alice.scope()
        pending = alice.db.committed.ledger[payment_id]
        settled = await alice.settlement(scope).settle(
            pending, TransactionStatus.APPROVED, timed_out=True
        )
        assert settled is not None
        winner.append(settled.reply)
        await scope.tx.commit()

    alice.gateway.on_lookup = settled_by_someone_else

    assert await alice.resolver().execute(STALE) == ResolveReport(resolved=0, still_pending=0)

    assert alice.db.committed.ledger[payment.id].status is TransactionStatus.APPROVED
    assert alice.db.refunds_of(payment.id) == []
    assert alice.db.event_types(payment.id) == ["payment.created", "payment.completed"]
    record = alice.db.record("alice", "k1")
    assert record is not None
    assert record.state is IdempotencyState.COMPLETED
    assert record.response == winner[0], "the key keeps the winner's reply, not the loser's"
    assert record.response.status_code == 201
    assert_money_invariants(alice.db)


async def test_a_round_for_one_payment_settles_that_one_only(alice: World) -> None:
    """Reconciliation settles the stale payment it found, not whichever is oldest."""
    older = await _stranded_payment(alice, "k1")
    alice.clock.advance(timedelta(seconds=1))
    younger = await _stranded_payment(alice, "k2")
    alice.clock.advance(timedelta(minutes=6))
    alice.gateway.script(lookups=[LookupStatus.APPROVED])

    report = await alice.resolver().execute(replace(STALE, payment_id=younger.id))

    assert report == ResolveReport(resolved=1, still_pending=0)
    assert alice.db.committed.ledger[younger.id].status is TransactionStatus.APPROVED
    assert alice.db.committed.ledger[older.id].status is TransactionStatus.PENDING
