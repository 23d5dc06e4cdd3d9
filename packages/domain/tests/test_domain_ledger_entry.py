"""Ledger entries: signed amounts, the PENDING → final transition, refunds, events."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

import pytest
from wallet_domain.model.events import (
    SCHEMA_VERSION,
    DomainEvent,
    EventType,
    entry_payload,
    event_for,
)
from wallet_domain.model.transaction import (
    PAYMENT_FINAL_STATUSES,
    IllegalTransition,
    LedgerEntry,
    TransactionStatus,
    TransactionType,
    new_deposit,
    new_refund,
)
from wallet_domain.money import Money
from wallet_testkit.fakes.clock import EPOCH
from wallet_testkit.fakes.world import PROVIDER, SAMPLE_PAYMENT_ID, sample_payment

REFUND_ID = UUID("01900000-0000-7000-8000-000000000002")
DEPOSIT_ID = UUID("01900000-0000-7000-8000-000000000003")
EVENT_ID = UUID("01900000-0000-7000-8000-0000000000e1")
LATER = EPOCH + timedelta(seconds=3)


def _deposit(reference: str | None = "top-up") -> LedgerEntry:
    return new_deposit(
        id=DEPOSIT_ID, user_id="alice", money=Money(10_000, "USD"), reference=reference, at=EPOCH
    )


def test_new_payment_is_pending_and_carries_its_provider() -> None:
    payment = sample_payment()
    assert payment.type is TransactionType.PAYMENT
    assert payment.status is TransactionStatus.PENDING
    assert payment.is_pending
    assert (payment.provider_id, payment.external_reference) == (PROVIDER.id, "bill-42")
    assert payment.created_at == payment.updated_at == EPOCH
    assert payment.refund_of is None


def test_new_deposit_is_completed() -> None:
    deposit = _deposit()
    assert (deposit.type, deposit.status) == (
        TransactionType.DEPOSIT,
        TransactionStatus.COMPLETED,
    )
    assert deposit.reference == "top-up"
    assert not deposit.is_pending
    assert deposit.provider_id is None


def test_signed_amount_debits_payments_and_credits_the_rest() -> None:
    payment = sample_payment()
    assert payment.signed_amount == -2_500
    assert payment.settle(TransactionStatus.DECLINED, LATER).signed_amount == -2_500
    assert _deposit().signed_amount == 10_000
    assert new_refund(id=REFUND_ID, payment=payment, at=LATER).signed_amount == 2_500


def test_payment_final_statuses() -> None:
    assert (
        frozenset(
            {TransactionStatus.APPROVED, TransactionStatus.DECLINED, TransactionStatus.FAILED}
        )
        == PAYMENT_FINAL_STATUSES
    )


@pytest.mark.parametrize("final", sorted(PAYMENT_FINAL_STATUSES))
def test_pending_payment_settles_once_to_a_final_status(final: TransactionStatus) -> None:
    payment = sample_payment()
    settled = payment.settle(final, LATER)
    assert settled.status is final
    assert settled.updated_at == LATER
    assert settled.created_at == EPOCH
    assert (settled.id, settled.money, settled.user_id) == (payment.id, payment.money, "alice")
    assert payment.status is TransactionStatus.PENDING  # the original is untouched
    for again in PAYMENT_FINAL_STATUSES:
        with pytest.raises(IllegalTransition):
            settled.settle(again, LATER)


@pytest.mark.parametrize("target", [TransactionStatus.PENDING, TransactionStatus.COMPLETED])
def test_payment_cannot_settle_to_a_non_final_status(target: TransactionStatus) -> None:
    with pytest.raises(IllegalTransition):
        sample_payment().settle(target, LATER)


@pytest.mark.parametrize("final", sorted(PAYMENT_FINAL_STATUSES))
def test_only_payments_settle(final: TransactionStatus) -> None:
    refund = new_refund(id=REFUND_ID, payment=sample_payment(), at=LATER)
    for entry in (_deposit(), refund):
        with pytest.raises(IllegalTransition):
            entry.settle(final, LATER)


def test_refund_compensates_the_payment_it_references() -> None:
    payment = sample_payment().settle(TransactionStatus.DECLINED, LATER)
    refund = new_refund(id=REFUND_ID, payment=payment, at=LATER)
    assert refund.type is TransactionType.REFUND
    assert refund.status is TransactionStatus.COMPLETED
    assert refund.refund_of == SAMPLE_PAYMENT_ID
    assert refund.money == payment.money
    assert refund.user_id == payment.user_id
    assert (refund.provider_id, refund.external_reference) == (PROVIDER.id, "bill-42")
    assert refund.created_at == refund.updated_at == LATER


def test_only_a_payment_can_be_refunded() -> None:
    with pytest.raises(IllegalTransition):
        new_refund(id=REFUND_ID, payment=_deposit(), at=LATER)
    refund = new_refund(id=REFUND_ID, payment=sample_payment(), at=LATER)
    with pytest.raises(IllegalTransition):
        new_refund(id=UUID(int=9), payment=refund, at=LATER)


def test_payment_event_is_its_own_aggregate_with_the_full_payload() -> None:
    event = event_for(EventType.PAYMENT_CREATED, sample_payment(), event_id=EVENT_ID, at=LATER)
    assert event == DomainEvent(
        event_id=EVENT_ID,
        event_type=EventType.PAYMENT_CREATED,
        occurred_at=LATER,
        aggregate_id=SAMPLE_PAYMENT_ID,
        user_id="alice",
        payload={
            "transaction_id": str(SAMPLE_PAYMENT_ID),
            "type": "PAYMENT",
            "status": "PENDING",
            "amount": 2_500,
            "currency": "USD",
            "provider_id": str(PROVIDER.id),
            "external_reference": "bill-42",
        },
    )
    assert event.schema_version == SCHEMA_VERSION == 1


def test_refund_event_belongs_to_the_payment_aggregate() -> None:
    refund = new_refund(id=REFUND_ID, payment=sample_payment(), at=LATER)
    event = event_for(EventType.REFUND_CREATED, refund, event_id=EVENT_ID, at=LATER)
    assert event.aggregate_id == SAMPLE_PAYMENT_ID
    assert event.payload["transaction_id"] == str(REFUND_ID)
    assert event.payload["refund_of"] == str(SAMPLE_PAYMENT_ID)
    assert event.payload["type"] == "REFUND"


def test_deposit_payload_has_its_reference_and_nothing_payment_specific() -> None:
    assert entry_payload(_deposit()) == {
        "transaction_id": str(DEPOSIT_ID),
        "type": "DEPOSIT",
        "status": "COMPLETED",
        "amount": 10_000,
        "currency": "USD",
        "reference": "top-up",
    }
    assert "reference" not in entry_payload(_deposit(reference=None))


def test_event_types_are_the_routing_keys() -> None:
    assert [e.value for e in EventType] == [
        "payment.created",
        "payment.completed",
        "payment.failed",
        "payment.redebited",
        "refund.created",
        "deposit.completed",
        "deposit.pending",
        "deposit.reverted",
        "hold.created",
        "hold.completed",
        "hold.reverted",
        "hold.expired",
        "transfer.completed",
        "dispute.opened",
        "dispute.updated",
        "dispute.won",
        "dispute.lost",
    ]
