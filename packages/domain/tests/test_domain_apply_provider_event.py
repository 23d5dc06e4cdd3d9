"""ApplyProviderEvent: each provider event applied at most once, by the dispatch rules."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID, uuid4

import pytest
from wallet_domain.model.correction import RefundedChargePolicy
from wallet_domain.model.idempotency import IdempotencyState
from wallet_domain.model.provider_event import (
    DisputeUpdated,
    PaymentRefunded,
    PaymentSettled,
    ProviderDisputeStatus,
    ProviderEventOutcome,
    UnsupportedProviderEvent,
)
from wallet_domain.model.transaction import LedgerEntry, TransactionStatus, TransactionType
from wallet_domain.money import Money
from wallet_domain.use_cases.correct_refunded_charge import (
    REFUNDED_SINCE,
    CorrectionOutcome,
    CorrectRefundedChargeRequest,
)
from wallet_testkit.fakes.clock import EPOCH
from wallet_testkit.fakes.response_encoder import body
from wallet_testkit.fakes.store import IntegrityViolation, assert_money_invariants
from wallet_testkit.fakes.world import ProviderEventWorld, World

Outcome = ProviderEventOutcome
START = 10_000
AMOUNT = 1_000


@pytest.fixture
def events(world: World) -> ProviderEventWorld:
    world.seed_wallet("alice", USD=START)
    return ProviderEventWorld(world)


def _settled(payment_id: UUID, *, approved: bool, event_id: str | None = None) -> PaymentSettled:
    return PaymentSettled(
        provider_event_id=event_id or f"evt_{uuid4().hex}",
        created_at=EPOCH,
        payment_id=payment_id,
        approved=approved,
    )


def _refunded(payment_id: UUID, amount: int, event_id: str | None = None) -> PaymentRefunded:
    return PaymentRefunded(
        provider_event_id=event_id or f"evt_{uuid4().hex}",
        created_at=EPOCH,
        payment_id=payment_id,
        amount=amount,
    )


async def _pending(events: ProviderEventWorld) -> LedgerEntry:
    return await events.world.pending_payment("alice", Money(AMOUNT, "USD"), key="pay-1")


async def _approved(events: ProviderEventWorld) -> LedgerEntry:
    payment = await _pending(events)
    assert await events.apply().execute(_settled(payment.id, approved=True)) is Outcome.APPLIED
    return payment


def _status(events: ProviderEventWorld, payment_id: UUID) -> TransactionStatus:
    return events.world.db.committed.ledger[payment_id].status


async def test_an_approval_settles_a_pending_payment_as_the_recovery_worker_would(
    events: ProviderEventWorld,
) -> None:
    payment = await _pending(events)
    event = _settled(payment.id, approved=True)

    assert await events.apply().execute(event) is Outcome.APPLIED

    db = events.world.db
    assert _status(events, payment.id) is TransactionStatus.APPROVED
    assert db.event_types(payment.id) == ["payment.created", "payment.completed"]
    record = db.record("alice", "pay-1")
    assert record is not None
    assert record.state is IdempotencyState.COMPLETED
    assert record.response is not None
    assert record.response.status_code == 201
    assert db.committed.provider_events[event.provider_event_id] == (
        "payment.settled",
        payment.id,
        "applied",
    )
    assert db.balance("alice", "USD") == START - AMOUNT
    assert_money_invariants(db)


async def test_a_decline_settles_and_refunds_a_pending_payment(events: ProviderEventWorld) -> None:
    payment = await _pending(events)

    assert await events.apply().execute(_settled(payment.id, approved=False)) is Outcome.APPLIED

    db = events.world.db
    assert _status(events, payment.id) is TransactionStatus.DECLINED
    assert len(db.refunds_of(payment.id)) == 1
    assert db.event_types(payment.id) == ["payment.created", "refund.created", "payment.failed"]
    record = db.record("alice", "pay-1")
    assert record is not None
    assert record.response is not None
    assert body(record.response)["error"]["code"] == "PAYMENT_DECLINED"
    assert db.balance("alice", "USD") == START
    assert_money_invariants(db)


async def test_a_repeated_event_changes_nothing(events: ProviderEventWorld) -> None:
    payment = await _pending(events)
    event = _settled(payment.id, approved=False)
    assert await events.apply().execute(event) is Outcome.APPLIED
    before = events.world.db.committed.copy()

    for _ in range(4):
        assert await events.apply().execute(event) is Outcome.DUPLICATE

    assert events.world.db.committed == before
    assert events.monitor.counts[("payment.settled", "duplicate")] == 4
    assert events.monitor.counts[("payment.settled", "applied")] == 1


@pytest.mark.parametrize(
    ("first", "then_approved"),
    [(True, True), (False, False)],
    ids=["approved-then-approved", "declined-then-declined"],
)
async def test_an_event_agreeing_with_an_earlier_settlement_is_already_settled(
    events: ProviderEventWorld, first: bool, then_approved: bool
) -> None:
    payment = await _pending(events)
    await events.apply().execute(_settled(payment.id, approved=first))
    before = events.world.db.committed.ledger.copy()
    event = _settled(payment.id, approved=then_approved)

    assert await events.apply().execute(event) is Outcome.ALREADY_SETTLED

    assert events.world.db.committed.ledger == before
    assert events.world.db.committed.provider_events[event.provider_event_id][2] == (
        "already_settled"
    )


async def test_a_decline_agrees_with_a_failed_payment(events: ProviderEventWorld) -> None:
    payment = await _pending(events)
    scope = events.world.scope()
    assert await events.world.settlement(scope).settle(
        payment, TransactionStatus.FAILED, timed_out=True
    )
    await scope.tx.commit()

    outcome = await events.apply().execute(_settled(payment.id, approved=False))

    assert outcome is Outcome.ALREADY_SETTLED


@pytest.mark.parametrize("first", [True, False], ids=["approved", "declined"])
async def test_a_contradiction_is_recorded_and_counted_but_never_applied(
    events: ProviderEventWorld, first: bool
) -> None:
    payment = await _pending(events)
    await events.apply().execute(_settled(payment.id, approved=first))
    before = events.world.db.committed.copy()
    event = _settled(payment.id, approved=not first)

    assert await events.apply().execute(event) is Outcome.CONTRADICTION

    after = events.world.db.committed
    assert after.ledger == before.ledger
    assert after.balances == before.balances
    assert after.outbox == before.outbox
    assert after.provider_events[event.provider_event_id][2] == "contradiction"
    assert events.monitor.counts[("payment.settled", "contradiction")] == 1


@pytest.mark.parametrize(
    "event",
    [
        _settled(uuid4(), approved=True),
        _refunded(uuid4(), 10),
    ],
    ids=["settled", "refunded"],
)
async def test_an_event_about_an_unknown_payment_stores_nothing(
    events: ProviderEventWorld, event: PaymentSettled | PaymentRefunded
) -> None:
    before = events.world.db.committed.copy()

    assert await events.apply().execute(event) is Outcome.UNKNOWN_TARGET

    assert events.world.db.committed == before
    assert events.monitor.seen == [(event.provider_event_id, Outcome.UNKNOWN_TARGET)]


async def test_an_event_about_another_kind_of_row_is_an_unknown_target(
    events: ProviderEventWorld,
) -> None:
    [deposit] = events.world.db.entries(type=TransactionType.DEPOSIT)

    outcome = await events.apply().execute(_refunded(deposit.id, 10))

    assert outcome is Outcome.UNKNOWN_TARGET


async def test_partial_refunds_up_to_the_amount_are_credited_and_one_more_is_refused(
    events: ProviderEventWorld,
) -> None:
    payment = await _approved(events)
    db = events.world.db

    assert await events.apply().execute(_refunded(payment.id, 300)) is Outcome.APPLIED
    assert await events.apply().execute(_refunded(payment.id, 700)) is Outcome.APPLIED
    before = db.committed.copy()
    over = _refunded(payment.id, 1)
    assert await events.apply().execute(over) is Outcome.REFUSED

    assert db.committed.ledger == before.ledger
    assert db.committed.balances == before.balances
    assert db.committed.provider_events[over.provider_event_id][2] == "refused"
    refunds = db.entries(type=TransactionType.PROVIDER_REFUND)
    assert sorted(r.money.amount for r in refunds) == [300, 700]
    assert {r.refund_of for r in refunds} == {payment.id}
    assert db.balance("alice", "USD") == START
    assert db.event_types(payment.id).count("refund.created") == 2
    assert events.monitor.counts[("payment.refunded", "refused")] == 1
    assert_money_invariants(db)


async def test_a_refund_larger_than_the_payment_is_refused_whole(
    events: ProviderEventWorld,
) -> None:
    payment = await _approved(events)

    assert await events.apply().execute(_refunded(payment.id, AMOUNT + 1)) is Outcome.REFUSED

    assert events.world.db.entries(type=TransactionType.PROVIDER_REFUND) == []


async def test_only_an_approved_payment_can_be_refunded_by_the_provider(
    events: ProviderEventWorld,
) -> None:
    payment = await _pending(events)
    await events.apply().execute(_settled(payment.id, approved=False))
    balance = events.world.db.balance("alice", "USD")

    assert await events.apply().execute(_refunded(payment.id, 10)) is Outcome.REFUSED

    assert events.world.db.balance("alice", "USD") == balance
    assert events.world.db.entries(type=TransactionType.PROVIDER_REFUND) == []


async def test_a_refund_before_its_settlement_settles_the_payment_approved_then_credits(
    events: ProviderEventWorld,
) -> None:
    payment = await _pending(events)
    balance = events.world.db.balance("alice", "USD")

    assert await events.apply().execute(_refunded(payment.id, 10)) is Outcome.APPLIED
    late = _settled(payment.id, approved=True)
    assert await events.apply().execute(late) is Outcome.ALREADY_SETTLED

    db = events.world.db
    assert db.balance("alice", "USD") == balance + 10
    [settled] = [e for e in db.entries(type=TransactionType.PAYMENT) if e.id == payment.id]
    assert settled.status is TransactionStatus.APPROVED
    assert db.event_types(payment.id) == [
        "payment.created",
        "payment.completed",
        "refund.created",
    ]


async def test_a_refund_over_what_is_left_of_a_pending_payment_settles_nothing(
    events: ProviderEventWorld,
) -> None:
    payment = await _pending(events)
    before = events.world.db.committed.copy()

    assert await events.apply().execute(_refunded(payment.id, AMOUNT + 1)) is Outcome.REFUSED

    after = events.world.db.committed
    assert (after.ledger, after.balances) == (before.ledger, before.balances)


async def test_a_repeated_refund_credits_once(events: ProviderEventWorld) -> None:
    payment = await _approved(events)
    event = _refunded(payment.id, 250, event_id="evt_refund_1")

    outcomes = [await events.apply().execute(event) for _ in range(5)]

    assert outcomes == [Outcome.APPLIED] + [Outcome.DUPLICATE] * 4
    assert events.world.db.balance("alice", "USD") == START - AMOUNT + 250


def _dispute(event_id: str = "evt_dispute_1") -> DisputeUpdated:
    return DisputeUpdated(
        provider_event_id=event_id,
        created_at=EPOCH,
        dispute_id=UUID("018f0000-0000-7000-8000-0000000d1501"),
        status=ProviderDisputeStatus.WON,
    )


async def test_a_dispute_event_goes_to_the_disputes_port_and_is_recorded(
    events: ProviderEventWorld,
) -> None:
    events.disputes.outcome = Outcome.APPLIED
    event = _dispute()

    assert await events.apply().execute(event) is Outcome.APPLIED
    assert await events.apply().execute(event) is Outcome.DUPLICATE

    assert events.disputes.applied == [event, event]
    stored = events.world.db.committed.provider_events[event.provider_event_id]
    assert stored == ("dispute.updated", event.dispute_id, "applied")


async def test_a_dispute_event_about_an_unknown_dispute_stores_nothing(
    events: ProviderEventWorld,
) -> None:
    assert await events.apply().execute(_dispute()) is Outcome.UNKNOWN_TARGET

    assert events.world.db.committed.provider_events == {}


async def test_an_unsupported_event_is_acknowledged_and_stores_nothing(
    events: ProviderEventWorld,
) -> None:
    event = UnsupportedProviderEvent(
        provider_event_id="evt_other", created_at=EPOCH, type="charge.captured"
    )
    scope = events.world.scope()

    assert await events.apply(scope).execute(event) is Outcome.UNSUPPORTED

    assert not scope.tx.has_pending_writes
    assert events.world.db.committed.provider_events == {}
    assert events.monitor.counts[("unsupported", "unsupported")] == 1


async def test_a_failure_while_applying_rolls_everything_back(events: ProviderEventWorld) -> None:
    payment = await _pending(events)
    events.world.db.unsettleable.add(payment.id)
    event = _settled(payment.id, approved=True)

    with pytest.raises(IntegrityViolation):
        await events.apply().execute(event)

    assert _status(events, payment.id) is TransactionStatus.PENDING
    assert events.world.db.committed.provider_events == {}
    assert events.monitor.seen == []
    events.world.db.unsettleable.clear()
    events.world.clock.advance(timedelta(seconds=1))
    assert await events.apply().execute(event) is Outcome.APPLIED


async def _failed(events: ProviderEventWorld) -> LedgerEntry:
    """A payment cut by our deadline: settled FAILED and refunded here."""
    payment = await _pending(events)
    scope = events.world.scope()
    failed = TransactionStatus.FAILED
    assert await events.world.settlement(scope).settle(payment, failed, timed_out=True)
    await scope.tx.commit()
    return payment


async def _re_debit(events: ProviderEventWorld, payment: LedgerEntry) -> None:
    """Reconciliation takes the refund back: the provider charged the payment after all
    (and, as far as its listing said, refunded none of it)."""
    corrected = await events.world.correct_refunded_charge().execute(
        CorrectRefundedChargeRequest(
            user_id="alice",
            payment_id=payment.id,
            charged=Money(AMOUNT, "USD"),
            refunded_there=0,
            policy=RefundedChargePolicy.REDEBIT,
        )
    )
    assert corrected.outcome is CorrectionOutcome.REDEBITED


async def test_a_refund_of_a_re_debited_payment_gives_the_re_debit_back_and_no_more(
    events: ProviderEventWorld,
) -> None:
    # Cut by our deadline, the payment ended FAILED and was refunded here; the provider
    # charged it after all, so reconciliation re-debited it; then the provider refunds it.
    world = events.world
    payment = await _failed(events)
    await _re_debit(events, payment)
    assert world.db.balance("alice", "USD") == START - AMOUNT

    assert await events.apply().execute(_refunded(payment.id, 400)) is Outcome.APPLIED
    assert await events.apply().execute(_refunded(payment.id, 601)) is Outcome.REFUSED
    assert await events.apply().execute(_refunded(payment.id, 600)) is Outcome.APPLIED
    assert await events.apply().execute(_refunded(payment.id, 1)) is Outcome.REFUSED

    assert world.db.balance("alice", "USD") == START
    refunds = world.db.entries(type=TransactionType.PROVIDER_REFUND)
    assert sorted(e.money.amount for e in refunds) == [400, 600]
    assert {e.refund_of for e in refunds} == {payment.id}
    assert _status(events, payment.id) is TransactionStatus.FAILED
    assert_money_invariants(world.db)


async def test_a_refund_refused_before_a_re_debit_stops_it_and_stays_refused(
    events: ProviderEventWorld,
) -> None:
    # The race: the provider refunds its late charge after reconciliation read the
    # provider's listing (charged, nothing refunded) and before it re-debits the payment.
    world = events.world
    payment = await _failed(events)
    refund = _refunded(payment.id, AMOUNT, event_id="evt_refund_of_the_late_charge")
    assert await events.apply().execute(refund) is Outcome.REFUSED  # got it back already

    corrected = await world.correct_refunded_charge().execute(
        CorrectRefundedChargeRequest(
            user_id="alice",
            payment_id=payment.id,
            charged=Money(AMOUNT, "USD"),
            refunded_there=0,  # the listing read before the refund
            policy=RefundedChargePolicy.REDEBIT,
        )
    )

    # Charged and refunded there, refunded here: taking the refund back would take the
    # money twice. Flagged instead, and the refund's re-send is the same event.
    assert corrected.outcome is CorrectionOutcome.FLAGGED
    assert corrected.reason == REFUNDED_SINCE
    assert world.db.entries(type=TransactionType.REDEBIT) == []
    assert await events.apply().execute(refund) is Outcome.DUPLICATE
    assert world.db.balance("alice", "USD") == START
    assert_money_invariants(world.db)
