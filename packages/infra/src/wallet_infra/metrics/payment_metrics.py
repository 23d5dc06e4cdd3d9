"""`PaymentMetrics` as Prometheus counters (stable names), one set per consumer process.

Semantics, so dashboards can rely on them:
- `wallet_events_consumed_total{event_type}`: events this process counted for the first
  time (the metrics queue carries `payment.*`, `hold.*`, `transfer.*` and `dispute.*`).
  Redeliveries are not counted: the consumer inbox lets exactly one instance count an
  event, so summing the series of every instance gives each distinct event once.
- `wallet_payments_total{status,currency}`: payments that reached a final status, counted
  once, on `payment.completed` (APPROVED) or `payment.failed` (DECLINED, FAILED), with the
  status the event's payload carries. A payment still PENDING is not counted yet;
  `payment.created` only moves the events counter.
- `wallet_payment_amount_minor_total{status,currency}`: the same payments' amounts in
  minor units. Prometheus samples are float64: exact up to 2**53 minor units per series.
- `wallet_holds_total{status,currency}`: hold events by the state the hold reached:
  PENDING (`hold.created`), COMPLETED, REVERTED, EXPIRED; each hold counts once as PENDING
  and once in its outcome.
- `wallet_hold_amount_minor_total{status,currency}`: the money of those events: held
  (PENDING), captured (COMPLETED), released in full (REVERTED, EXPIRED). A partial
  capture's released rest is PENDING minus COMPLETED minus the other two.
- `wallet_transfers_total{currency}`: completed wallet-to-wallet transfers, counted once,
  on `transfer.completed`.
- `wallet_transfer_amount_minor_total{currency}`: the same transfers' amounts in minor
  units (float64 like the payment amounts).
- `wallet_disputes_total{status}`: dispute events by the status the dispute reached: OPEN
  (`dispute.opened`), UNDER_REVIEW, SUBMITTED, CANCELED, CLOSED (`dispute.updated`), WON,
  LOST; each dispute counts once per status it went through.

Counters live in memory and restart at zero with the process (an event counted before a
restart is not counted again); use `increase()`/`rate()`, which handle resets, and sum
over instances. Label values are bounded: event types and statuses are enums, currencies
three-letter codes. User and payment ids never become labels.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter
from wallet_domain.model.deposit_outcome import DepositOutcome
from wallet_domain.model.dispute import DisputeStatus
from wallet_domain.model.events import DomainEvent
from wallet_domain.model.hold_outcome import HoldOutcome
from wallet_domain.model.settled_payment import SettledPayment
from wallet_domain.money import Money
from wallet_domain.ports.payment_metrics import PaymentMetrics


class PrometheusPaymentMetrics(PaymentMetrics):
    """Registers its counters on `registry` (the process's, or a test's own)."""

    def __init__(self, *, registry: CollectorRegistry) -> None:
        self._payments = Counter(
            "wallet_payments",
            "Payments that reached a final status, by that status and currency.",
            ["status", "currency"],
            registry=registry,
        )
        self._amounts = Counter(
            "wallet_payment_amount_minor",
            "Amount of those payments, in minor units of the currency.",
            ["status", "currency"],
            registry=registry,
        )
        self._deposits = Counter(
            "wallet_deposits",
            "Deposit events by the state the deposit reached (PENDING: a two-phase one"
            " announced; COMPLETED: credited; REVERTED: dropped) and currency.",
            ["status", "currency"],
            registry=registry,
        )
        self._deposit_amounts = Counter(
            "wallet_deposit_amount_minor",
            "Amount of those deposits, in minor units of the currency.",
            ["status", "currency"],
            registry=registry,
        )
        self._holds = Counter(
            "wallet_holds",
            "Hold events by the state the hold reached (PENDING on creation) and currency.",
            ["status", "currency"],
            registry=registry,
        )
        self._hold_amounts = Counter(
            "wallet_hold_amount_minor",
            "Held (PENDING), captured (COMPLETED) or released (REVERTED, EXPIRED) amounts.",
            ["status", "currency"],
            registry=registry,
        )
        self._transfers = Counter(
            "wallet_transfers",
            "Completed transfers between wallets, by currency.",
            ["currency"],
            registry=registry,
        )
        self._transfer_amounts = Counter(
            "wallet_transfer_amount_minor",
            "Amount of those transfers, in minor units of the currency.",
            ["currency"],
            registry=registry,
        )
        self._disputes = Counter(
            "wallet_disputes",
            "Dispute events by the status the dispute reached (OPEN on opening).",
            ["status"],
            registry=registry,
        )
        self._events = Counter(
            "wallet_events_consumed",
            "Distinct events counted by this process, by event type.",
            ["event_type"],
            registry=registry,
        )

    def record(self, event: DomainEvent, settled: SettledPayment | None) -> None:
        self._events.labels(event.event_type.value).inc()
        if settled is None:
            return
        labels = (settled.status.value, settled.money.currency)
        self._payments.labels(*labels).inc()
        self._amounts.labels(*labels).inc(settled.money.amount)

    def record_deposit(self, outcome: DepositOutcome) -> None:
        labels = (outcome.status.value, outcome.money.currency)
        self._deposits.labels(*labels).inc()
        self._deposit_amounts.labels(*labels).inc(outcome.money.amount)

    def record_hold(self, outcome: HoldOutcome) -> None:
        labels = (outcome.status.value, outcome.money.currency)
        self._holds.labels(*labels).inc()
        self._hold_amounts.labels(*labels).inc(outcome.money.amount)

    def record_transfer(self, money: Money) -> None:
        self._transfers.labels(money.currency).inc()
        self._transfer_amounts.labels(money.currency).inc(money.amount)

    def record_dispute(self, status: DisputeStatus) -> None:
        self._disputes.labels(status.value).inc()
