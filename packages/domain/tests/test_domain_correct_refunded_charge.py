"""CorrectRefundedCharge: a payment refunded here but charged by the provider is re-debited
when that is safe, flagged for review otherwise, and never corrected twice."""

from __future__ import annotations

from uuid import UUID

import pytest
from wallet_domain.errors import InvalidState, PaymentNotFound
from wallet_domain.model.correction import CorrectionKind, RefundedChargePolicy
from wallet_domain.model.events import EventType
from wallet_domain.model.provider_event import ProviderEventOutcome, ProviderEventType
from wallet_domain.model.transaction import LedgerEntry, TransactionStatus, TransactionType
from wallet_domain.money import Money
from wallet_domain.use_cases.correct_refunded_charge import (
    CHARGE_DIFFERS,
    NOT_COVERED,
    POLICY_FLAG,
    REFUNDED_SINCE,
    CorrectionOutcome,
    CorrectRefundedChargeRequest,
)
from wallet_testkit.fakes.clock import EPOCH
from wallet_testkit.fakes.provider_event_log import FakeProviderEventLog
from wallet_testkit.fakes.store import assert_money_invariants
from wallet_testkit.fakes.world import World

PRICE = Money(300, "USD")


async def _refunded_payment(world: World, status: TransactionStatus) -> LedgerEntry:
    """A payment settled FAILED/DECLINED (refunded), as a cut charge attempt leaves it."""
    payment = await world.pending_payment("alice", PRICE)
    scope = world.scope()
    assert await world.settlement(scope).settle(payment, status, timed_out=True) is not None
    await scope.tx.commit()
    return payment


def _request(
    payment: LedgerEntry,
    *,
    policy: RefundedChargePolicy = RefundedChargePolicy.REDEBIT,
    charged: Money = PRICE,
    refunded_there: int = 0,
) -> CorrectRefundedChargeRequest:
    return CorrectRefundedChargeRequest(
        user_id=payment.user_id,
        payment_id=payment.id,
        charged=charged,
        refunded_there=refunded_there,
        policy=policy,
    )


@pytest.mark.parametrize("status", [TransactionStatus.FAILED, TransactionStatus.DECLINED])
async def test_a_covered_refund_is_taken_back_once_with_its_row_and_event(
    world: World, status: TransactionStatus
) -> None:
    world.seed_wallet("alice", USD=1_000)
    payment = await _refunded_payment(world, status)
    assert world.db.balance("alice", "USD") == 1_000  # debited, then refunded

    first = await world.correct_refunded_charge().execute(_request(payment))
    second = await world.correct_refunded_charge().execute(_request(payment))

    assert first.outcome is CorrectionOutcome.REDEBITED
    assert second.outcome is CorrectionOutcome.ALREADY_REDEBITED
    assert world.db.balance("alice", "USD") == 700
    [row] = world.db.entries(type=TransactionType.REDEBIT)
    assert (row.id, row.money, row.status) == (
        first.transaction_id,
        PRICE,
        TransactionStatus.COMPLETED,
    )
    assert row.external_reference == payment.external_reference
    [redebited] = [
        e for e in world.db.events(payment.id) if e.event_type is EventType.PAYMENT_REDEBITED
    ]
    assert redebited.payload["redebit_of"] == str(payment.id)
    assert redebited.payload["amount"] == 300
    assert set(world.db.committed.corrections) == {(payment.id, CorrectionKind.REDEBIT)}
    assert_money_invariants(world.db)


async def test_a_refund_the_balance_no_longer_covers_is_flagged_once(world: World) -> None:
    world.seed_wallet("alice", USD=300)
    payment = await _refunded_payment(world, TransactionStatus.FAILED)
    spend = world.scope()
    assert await spend.balances.debit_if_covered("alice", Money(100, "USD"))
    await spend.tx.commit()  # 200 left: less than the 300 to take back

    first = await world.correct_refunded_charge().execute(_request(payment))
    second = await world.correct_refunded_charge().execute(_request(payment))

    assert (first.outcome, first.reason) == (CorrectionOutcome.FLAGGED, NOT_COVERED)
    assert second.outcome is CorrectionOutcome.ALREADY_FLAGGED
    assert world.db.balance("alice", "USD") == 200
    assert world.db.entries(type=TransactionType.REDEBIT) == []
    assert set(world.db.committed.corrections) == {(payment.id, CorrectionKind.FLAG)}


async def test_a_flagged_payment_is_re_debited_once_the_balance_covers_it(world: World) -> None:
    world.seed_wallet("alice", USD=300)
    payment = await _refunded_payment(world, TransactionStatus.FAILED)
    spend = world.scope()
    assert await spend.balances.debit_if_covered("alice", Money(100, "USD"))
    await spend.tx.commit()
    await world.correct_refunded_charge().execute(_request(payment))
    top_up = world.scope()
    await top_up.balances.credit("alice", Money(100, "USD"))
    await top_up.tx.commit()

    result = await world.correct_refunded_charge().execute(_request(payment))

    assert result.outcome is CorrectionOutcome.REDEBITED
    assert world.db.balance("alice", "USD") == 0
    assert set(world.db.committed.corrections) == {
        (payment.id, CorrectionKind.FLAG),
        (payment.id, CorrectionKind.REDEBIT),
    }


@pytest.mark.parametrize(
    ("policy", "charged", "refunded_there", "reason"),
    [
        (RefundedChargePolicy.FLAG, PRICE, 0, POLICY_FLAG),
        (RefundedChargePolicy.REDEBIT, Money(350, "USD"), 0, CHARGE_DIFFERS),
        (RefundedChargePolicy.REDEBIT, Money(300, "EUR"), 0, CHARGE_DIFFERS),
        (RefundedChargePolicy.REDEBIT, PRICE, 100, CHARGE_DIFFERS),
    ],
)
async def test_an_unsafe_re_debit_is_flagged_instead(
    world: World,
    policy: RefundedChargePolicy,
    charged: Money,
    refunded_there: int,
    reason: str,
) -> None:
    world.seed_wallet("alice", USD=1_000)
    payment = await _refunded_payment(world, TransactionStatus.FAILED)

    result = await world.correct_refunded_charge().execute(
        _request(payment, policy=policy, charged=charged, refunded_there=refunded_there)
    )

    assert (result.outcome, result.reason) == (CorrectionOutcome.FLAGGED, reason)
    assert world.db.balance("alice", "USD") == 1_000
    assert world.db.entries(type=TransactionType.REDEBIT) == []


async def test_a_payment_that_was_not_refunded_is_refused(world: World) -> None:
    world.seed_wallet("alice", USD=1_000)
    pending = await world.pending_payment("alice", PRICE)

    with pytest.raises(InvalidState):
        await world.correct_refunded_charge().execute(_request(pending))
    with pytest.raises(PaymentNotFound):
        await world.correct_refunded_charge().execute(
            CorrectRefundedChargeRequest(
                user_id="bob",
                payment_id=pending.id,
                charged=PRICE,
                refunded_there=0,
                policy=RefundedChargePolicy.REDEBIT,
            )
        )
    assert world.db.committed.corrections == {}


class _BlindEventLog(FakeProviderEventLog):
    """A refund check that misses every stored refund, as a path that forgets it would."""

    async def refund_recorded(self, payment_id: UUID) -> bool:
        return False


async def test_a_re_debit_the_store_refuses_is_rolled_back_and_flagged(world: World) -> None:
    world.seed_wallet("alice", USD=1_000)
    payment = await _refunded_payment(world, TransactionStatus.FAILED)
    webhook = world.scope()  # the provider's refund, refused: the wallet had it back
    await webhook.provider_events.record(
        provider_event_id="evt_refund",
        event_type=ProviderEventType.PAYMENT_REFUNDED.value,
        subject_id=payment.id,
        outcome=ProviderEventOutcome.REFUSED,
        created_at=EPOCH,
    )
    await webhook.tx.commit()
    scope = world.scope()
    scope.provider_events = _BlindEventLog(scope.tx)

    result = await world.correct_refunded_charge(scope).execute(_request(payment))

    # The store's refusal undid the debit and the REDEBIT row: flagged, not crashed.
    assert (result.outcome, result.reason) == (CorrectionOutcome.FLAGGED, REFUNDED_SINCE)
    assert world.db.balance("alice", "USD") == 1_000
    assert world.db.entries(type=TransactionType.REDEBIT) == []
    assert set(world.db.committed.corrections) == {(payment.id, CorrectionKind.FLAG)}
    assert EventType.PAYMENT_REDEBITED not in {e.event_type for e in world.db.events(payment.id)}
    assert_money_invariants(world.db)
