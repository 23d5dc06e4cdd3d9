"""PrometheusPaymentMetrics: the business series, their labels and values."""

from __future__ import annotations

from prometheus_client import CollectorRegistry
from wallet_domain.model.deposit_outcome import DepositOutcome
from wallet_domain.model.dispute import DisputeStatus
from wallet_domain.model.events import EventType
from wallet_domain.model.hold import HoldStatus
from wallet_domain.model.hold_outcome import HoldOutcome
from wallet_domain.model.settled_payment import SettledPayment
from wallet_domain.model.transaction import TransactionStatus
from wallet_domain.money import Money
from wallet_infra.metrics.payment_metrics import PrometheusPaymentMetrics
from wallet_testkit.fakes.consumers import make_event

# The metrics read the event's type only; what they count comes with the settlement.
event = make_event


def settled(status: TransactionStatus, amount: int, currency: str) -> SettledPayment:
    return SettledPayment(status=status, money=Money(amount, currency))


def test_settled_payments_count_by_status_and_currency() -> None:
    registry = CollectorRegistry()
    metrics = PrometheusPaymentMetrics(registry=registry)

    metrics.record(event(EventType.PAYMENT_CREATED), None)
    metrics.record(
        event(EventType.PAYMENT_COMPLETED), settled(TransactionStatus.APPROVED, 1_000, "USD")
    )
    metrics.record(
        event(EventType.PAYMENT_COMPLETED), settled(TransactionStatus.APPROVED, 250, "USD")
    )
    metrics.record(event(EventType.PAYMENT_FAILED), settled(TransactionStatus.DECLINED, 7, "BRL"))

    def sample(name: str, **labels: str) -> float | None:
        return registry.get_sample_value(name, labels)

    assert sample("wallet_payments_total", status="APPROVED", currency="USD") == 2
    assert sample("wallet_payment_amount_minor_total", status="APPROVED", currency="USD") == 1_250
    assert sample("wallet_payments_total", status="DECLINED", currency="BRL") == 1
    assert sample("wallet_payment_amount_minor_total", status="DECLINED", currency="BRL") == 7
    assert sample("wallet_payments_total", status="PENDING", currency="USD") is None
    assert sample("wallet_events_consumed_total", event_type="payment.created") == 1
    assert sample("wallet_events_consumed_total", event_type="payment.completed") == 2
    assert sample("wallet_events_consumed_total", event_type="payment.failed") == 1


def test_each_registry_counts_on_its_own() -> None:
    first, second = CollectorRegistry(), CollectorRegistry()
    PrometheusPaymentMetrics(registry=first).record(event(EventType.PAYMENT_CREATED), None)
    PrometheusPaymentMetrics(registry=second)

    labels = {"event_type": "payment.created"}
    assert first.get_sample_value("wallet_events_consumed_total", labels) == 1
    assert second.get_sample_value("wallet_events_consumed_total", labels) is None


def test_holds_count_by_the_state_reached_with_their_money() -> None:
    registry = CollectorRegistry()
    metrics = PrometheusPaymentMetrics(registry=registry)

    for status, amount in (
        (HoldStatus.PENDING, 300),
        (HoldStatus.PENDING, 200),
        (HoldStatus.COMPLETED, 120),
        (HoldStatus.EXPIRED, 200),
    ):
        metrics.record_hold(HoldOutcome(status=status, money=Money(amount, "USD")))

    def sample(name: str, status: str) -> float | None:
        return registry.get_sample_value(name, {"status": status, "currency": "USD"})

    assert sample("wallet_holds_total", "PENDING") == 2
    assert sample("wallet_hold_amount_minor_total", "PENDING") == 500
    assert sample("wallet_holds_total", "COMPLETED") == 1
    assert sample("wallet_hold_amount_minor_total", "COMPLETED") == 120
    assert sample("wallet_holds_total", "EXPIRED") == 1
    assert sample("wallet_holds_total", "REVERTED") is None


def test_deposits_count_by_the_state_reached_with_their_money() -> None:
    registry = CollectorRegistry()
    metrics = PrometheusPaymentMetrics(registry=registry)

    for status, amount in (
        (TransactionStatus.PENDING, 300),
        (TransactionStatus.COMPLETED, 300),
        (TransactionStatus.COMPLETED, 50),
    ):
        metrics.record_deposit(DepositOutcome(status=status, money=Money(amount, "USD")))

    def sample(name: str, status: str) -> float | None:
        return registry.get_sample_value(name, {"status": status, "currency": "USD"})

    assert sample("wallet_deposits_total", "PENDING") == 1
    assert sample("wallet_deposits_total", "COMPLETED") == 2
    assert sample("wallet_deposit_amount_minor_total", "COMPLETED") == 350
    assert sample("wallet_deposits_total", "REVERTED") is None


def test_transfers_count_by_currency_with_their_amounts() -> None:
    registry = CollectorRegistry()
    metrics = PrometheusPaymentMetrics(registry=registry)

    metrics.record(event(EventType.TRANSFER_COMPLETED), None)
    metrics.record_transfer(Money(300, "USD"))
    metrics.record(event(EventType.TRANSFER_COMPLETED), None)
    metrics.record_transfer(Money(45, "USD"))
    metrics.record_transfer(Money(9, "JPY"))

    def sample(name: str, **labels: str) -> float | None:
        return registry.get_sample_value(name, labels)

    assert sample("wallet_transfers_total", currency="USD") == 2
    assert sample("wallet_transfer_amount_minor_total", currency="USD") == 345
    assert sample("wallet_transfers_total", currency="JPY") == 1
    assert sample("wallet_transfer_amount_minor_total", currency="JPY") == 9
    assert sample("wallet_events_consumed_total", event_type="transfer.completed") == 2
    assert sample("wallet_payments_total", status="COMPLETED", currency="USD") is None


def test_disputes_count_by_the_status_they_reached() -> None:
    registry = CollectorRegistry()
    metrics = PrometheusPaymentMetrics(registry=registry)

    for status in (DisputeStatus.OPEN, DisputeStatus.WON, DisputeStatus.OPEN):
        metrics.record_dispute(status)

    assert registry.get_sample_value("wallet_disputes_total", {"status": "OPEN"}) == 2
    assert registry.get_sample_value("wallet_disputes_total", {"status": "WON"}) == 1
    assert registry.get_sample_value("wallet_disputes_total", {"status": "LOST"}) is None
