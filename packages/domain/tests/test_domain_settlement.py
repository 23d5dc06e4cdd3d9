"""PaymentSettlement: finalize a PENDING payment once, compensating when not approved,
with the reply its key gets decided in the same write."""

from __future__ import annotations

from datetime import timedelta

import pytest
from wallet_domain.model.events import EventType
from wallet_domain.model.idempotency import IdempotencyState, StoredResponse
from wallet_domain.model.transaction import (
    PAYMENT_FINAL_STATUSES,
    IllegalTransition,
    LedgerEntry,
    TransactionStatus,
    TransactionType,
)
from wallet_domain.money import Money
from wallet_testkit.fakes.response_encoder import body
from wallet_testkit.fakes.store import assert_money_invariants
from wallet_testkit.fakes.world import World

FAILED_STATUSES = [TransactionStatus.DECLINED, TransactionStatus.FAILED]
KEY = "pay-1"


async def _pending_payment(world: World, amount: int = 2_500) -> LedgerEntry:
    """A committed PENDING payment with its debit and IN_PROGRESS key, as transaction 1
    leaves it."""
    world.seed_wallet("alice", USD=10_000)
    payment = await world.pending_payment("alice", Money(amount, "USD"), key=KEY)
    world.clock.advance(timedelta(seconds=3))  # settling happens later than opening
    return payment


async def test_approval_finalizes_without_refund(world: World) -> None:
    payment = await _pending_payment(world)
    scope = world.scope()

    settled = await world.settlement(scope).settle(
        payment, TransactionStatus.APPROVED, timed_out=False
    )
    await scope.tx.commit()

    assert settled is not None
    assert settled.refund is None
    assert settled.payment.status is TransactionStatus.APPROVED
    assert settled.payment.updated_at == world.clock.now() != payment.updated_at
    assert world.db.committed.ledger[payment.id] == settled.payment
    assert world.db.balance("alice", "USD") == 7_500
    assert world.db.event_types(payment.id) == ["payment.created", "payment.completed"]
    assert world.db.events(payment.id)[1].payload["status"] == "APPROVED"
    assert settled.reply == world.encoder.created(settled.payment)
    assert body(settled.reply)["status"] == "APPROVED"
    record = world.db.record("alice", KEY)
    assert record is not None
    assert (record.state, record.response) == (IdempotencyState.COMPLETED, settled.reply)
    assert scope.book.settlements == [settled]
    assert_money_invariants(world.db)


@pytest.mark.parametrize("status", FAILED_STATUSES)
async def test_non_approval_refunds_once_in_the_same_write(
    world: World, status: TransactionStatus
) -> None:
    payment = await _pending_payment(world)
    scope = world.scope()

    settled = await world.settlement(scope).settle(payment, status, timed_out=False)
    assert world.db.balance("alice", "USD") == 7_500, "nothing visible before commit"
    assert world.db.committed.ledger[payment.id].status is TransactionStatus.PENDING
    await scope.tx.commit()

    assert settled is not None
    assert settled.payment.status is status
    assert settled.refund is not None
    assert settled.refund.type is TransactionType.REFUND
    assert settled.refund.refund_of == payment.id
    assert settled.refund.money == payment.money
    assert settled.refund.created_at == world.clock.now()
    assert world.db.refunds_of(payment.id) == [settled.refund]
    assert world.db.balance("alice", "USD") == 10_000
    assert world.db.event_types(payment.id) == [
        "payment.created",
        "refund.created",
        "payment.failed",
    ]
    assert [e.event_type for e in settled.events] == [
        EventType.REFUND_CREATED,
        EventType.PAYMENT_FAILED,
    ]
    refund_event, failed_event = settled.events
    assert world.db.events(payment.id)[1:] == list(settled.events)
    assert refund_event.payload["transaction_id"] == str(settled.refund.id)
    assert failed_event.payload["status"] == status.value
    assert refund_event.event_id != failed_event.event_id
    assert_money_invariants(world.db)


@pytest.mark.parametrize(
    ("status", "timed_out", "http", "code", "resolution"),
    [
        (TransactionStatus.APPROVED, False, 201, None, None),
        (TransactionStatus.APPROVED, True, 201, None, None),
        (TransactionStatus.DECLINED, False, 402, "PAYMENT_DECLINED", None),
        (TransactionStatus.DECLINED, True, 402, "PAYMENT_DECLINED", None),
        (TransactionStatus.FAILED, False, 502, "GATEWAY_ERROR", "refunded"),
        (TransactionStatus.FAILED, True, 504, "GATEWAY_TIMEOUT", "refunded"),
    ],
)
async def test_the_key_gets_the_reply_the_outcome_deserves(
    world: World,
    status: TransactionStatus,
    timed_out: bool,
    http: int,
    code: str | None,
    resolution: str | None,
) -> None:
    payment = await _pending_payment(world)
    scope = world.scope()

    settled = await world.settlement(scope).settle(payment, status, timed_out=timed_out)
    await scope.tx.commit()

    assert settled is not None
    assert settled.reply.status_code == http
    if code is None:
        assert body(settled.reply)["id"] == str(payment.id)
    else:
        error = body(settled.reply)["error"]
        assert error["code"] == code
        assert error["details"] == {
            "payment_id": str(payment.id),
            "status": status.value,
            **({"resolution": resolution} if resolution else {}),
        }
    record = world.db.record("alice", KEY)
    assert record is not None
    assert (record.state, record.response) == (IdempotencyState.COMPLETED, settled.reply)


async def test_a_key_that_already_replied_keeps_its_reply(world: World) -> None:
    payment = await _pending_payment(world)
    said = StoredResponse(504, b'{"said":"pending"}')
    replier = world.scope()
    await replier.idempotency.complete("alice", KEY, said, world.clock.now())
    await replier.tx.commit()
    scope = world.scope()

    settled = await world.settlement(scope).settle(
        payment, TransactionStatus.FAILED, timed_out=True
    )
    await scope.tx.commit()

    assert settled is not None
    assert world.db.committed.ledger[payment.id].status is TransactionStatus.FAILED
    assert world.db.balance("alice", "USD") == 10_000
    record = world.db.record("alice", KEY)
    assert record is not None
    assert record.response == said
    assert_money_invariants(world.db)


@pytest.mark.parametrize("first", sorted(PAYMENT_FINAL_STATUSES))
async def test_a_payment_settled_elsewhere_is_left_alone(
    world: World, first: TransactionStatus
) -> None:
    payment = await _pending_payment(world)
    elsewhere = world.scope()
    winner = await world.settlement(elsewhere).settle(payment, first, timed_out=True)
    assert winner is not None
    await elsewhere.tx.commit()
    before = world.db.committed.copy()

    for second in PAYMENT_FINAL_STATUSES:
        scope = world.scope()
        assert await world.settlement(scope).settle(payment, second, timed_out=False) is None
        assert not scope.tx.has_pending_writes
        assert scope.book.settlements == []
        await scope.tx.commit()

    assert world.db.committed == before
    record = world.db.record("alice", KEY)
    assert record is not None
    assert record.response == winner.reply
    assert_money_invariants(world.db)


@pytest.mark.parametrize("status", [TransactionStatus.PENDING, TransactionStatus.COMPLETED])
async def test_a_non_final_status_is_refused_before_touching_storage(
    world: World, status: TransactionStatus
) -> None:
    payment = await _pending_payment(world)
    scope = world.scope()

    with pytest.raises(IllegalTransition):
        await world.settlement(scope).settle(payment, status, timed_out=False)

    assert not scope.tx.has_pending_writes
    assert scope.book.settlements == []
    assert world.db.committed.ledger[payment.id].status is TransactionStatus.PENDING


async def test_an_already_settled_entry_is_refused_before_touching_storage(
    world: World,
) -> None:
    payment = await _pending_payment(world)
    scope = world.scope()
    approved = payment.settle(TransactionStatus.APPROVED, world.clock.now())

    with pytest.raises(IllegalTransition):
        await world.settlement(scope).settle(approved, TransactionStatus.FAILED, timed_out=False)

    assert scope.book.settlements == []
    assert world.db.committed.ledger[payment.id].status is TransactionStatus.PENDING


async def test_a_pending_payment_is_replied_as_held(world: World) -> None:
    payment = await _pending_payment(world)

    reply = world.settlement(world.scope()).reply_for(payment, timed_out=True)

    assert reply.status_code == 504
    assert body(reply)["error"]["details"] == {
        "payment_id": str(payment.id),
        "status": "PENDING",
        "resolution": "pending",
    }


async def test_events_belong_to_the_payment_and_its_owner(world: World) -> None:
    payment = await _pending_payment(world)
    scope = world.scope()
    await world.settlement(scope).settle(payment, TransactionStatus.DECLINED, timed_out=False)
    await scope.tx.commit()
    types = {e.event_type for e in world.db.events(payment.id)}
    assert types == {
        EventType.PAYMENT_CREATED,
        EventType.REFUND_CREATED,
        EventType.PAYMENT_FAILED,
    }
    assert all(e.user_id == "alice" for e in world.db.events(payment.id))
    assert len({e.event_id for e in world.db.events(payment.id)}) == 3
