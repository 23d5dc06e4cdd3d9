"""PaymentSettlement: finalize a PENDING payment once, compensating when not approved."""

from __future__ import annotations

import pytest
from wallet_domain.model.events import EventType
from wallet_domain.model.transaction import (
    PAYMENT_FINAL_STATUSES,
    IllegalTransition,
    LedgerEntry,
    TransactionStatus,
    TransactionType,
    new_payment,
)
from wallet_domain.money import Money

from .fakes import PROVIDER, World, assert_money_invariants

FAILED_STATUSES = [TransactionStatus.DECLINED, TransactionStatus.FAILED]


async def _pending_payment(world: World, amount: int = 2_500) -> LedgerEntry:
    """A committed PENDING payment with its debit, as transaction 1 leaves it."""
    world.seed_wallet("alice", USD=10_000)
    scope = world.scope()
    payment = new_payment(
        id=world.ids.new_id(),
        user_id="alice",
        money=Money(amount, "USD"),
        provider_id=PROVIDER.id,
        external_reference="bill-42",
        at=world.clock.now(),
    )
    assert await scope.balances.debit("alice", payment.money) is not None
    await scope.ledger.append(payment)
    await scope.tx.commit()
    return payment


async def test_approval_finalizes_without_refund(world: World) -> None:
    payment = await _pending_payment(world)
    scope = world.scope()

    settled = await world.settlement(scope).settle(payment, TransactionStatus.APPROVED)
    await scope.tx.commit()

    assert settled is not None
    assert settled.refund is None
    assert settled.payment.status is TransactionStatus.APPROVED
    assert settled.payment.updated_at == world.clock.now()
    assert world.db.balance("alice", "USD") == 7_500
    assert world.db.event_types(payment.id) == ["payment.completed"]
    assert world.db.events(payment.id)[0].payload["status"] == "APPROVED"
    assert_money_invariants(world.db)


@pytest.mark.parametrize("status", FAILED_STATUSES)
async def test_non_approval_refunds_once_in_the_same_transaction(
    world: World, status: TransactionStatus
) -> None:
    payment = await _pending_payment(world)
    scope = world.scope()

    settled = await world.settlement(scope).settle(payment, status)
    assert world.db.balance("alice", "USD") == 7_500, "nothing visible before commit"
    await scope.tx.commit()

    assert settled is not None
    assert settled.payment.status is status
    assert settled.refund is not None
    assert settled.refund.type is TransactionType.REFUND
    assert settled.refund.refund_of == payment.id
    assert settled.refund.money == payment.money
    assert world.db.refunds_of(payment.id) == [settled.refund]
    assert world.db.balance("alice", "USD") == 10_000
    assert world.db.event_types(payment.id) == ["refund.created", "payment.failed"]
    refund_event, failed_event = world.db.events(payment.id)
    assert refund_event.payload["transaction_id"] == str(settled.refund.id)
    assert failed_event.payload["status"] == status.value
    assert refund_event.event_id != failed_event.event_id
    assert_money_invariants(world.db)


@pytest.mark.parametrize("first", sorted(PAYMENT_FINAL_STATUSES))
async def test_a_payment_settled_elsewhere_is_left_alone(
    world: World, first: TransactionStatus
) -> None:
    payment = await _pending_payment(world)
    elsewhere = world.scope()
    assert await world.settlement(elsewhere).settle(payment, first) is not None
    await elsewhere.tx.commit()
    before = world.db.committed.copy()

    for second in PAYMENT_FINAL_STATUSES:
        scope = world.scope()
        assert await world.settlement(scope).settle(payment, second) is None
        await scope.tx.commit()

    assert world.db.committed == before
    assert_money_invariants(world.db)


@pytest.mark.parametrize("status", [TransactionStatus.PENDING, TransactionStatus.COMPLETED])
async def test_a_non_final_status_is_refused_before_touching_storage(
    world: World, status: TransactionStatus
) -> None:
    payment = await _pending_payment(world)
    scope = world.scope()

    with pytest.raises(IllegalTransition):
        await world.settlement(scope).settle(payment, status)

    assert not scope.tx.has_pending_writes
    assert world.db.committed.ledger[payment.id].status is TransactionStatus.PENDING


async def test_event_types_match_the_outcome(world: World) -> None:
    payment = await _pending_payment(world)
    scope = world.scope()
    await world.settlement(scope).settle(payment, TransactionStatus.DECLINED)
    await scope.tx.commit()
    types = {e.event_type for e in world.db.events(payment.id)}
    assert types == {EventType.REFUND_CREATED, EventType.PAYMENT_FAILED}
    assert all(e.user_id == "alice" for e in world.db.events(payment.id))
