"""Count a consumed payment, deposit, hold, transfer or dispute event in the business
metrics."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from wallet_domain.model.completed_transfer import transferred_money
from wallet_domain.model.deposit_outcome import deposit_outcome
from wallet_domain.model.disputed import dispute_status
from wallet_domain.model.events import DomainEvent
from wallet_domain.model.hold_outcome import hold_outcome
from wallet_domain.model.settled_payment import settled_payment
from wallet_domain.ports.consumer_inbox import ConsumerInbox
from wallet_domain.ports.payment_metrics import PaymentMetrics

METRICS_CONSUMER: Final = "metrics"


@dataclass(frozen=True, slots=True, kw_only=True)
class CountPaymentEventRequest:
    event: DomainEvent


@dataclass(frozen=True, slots=True, kw_only=True)
class PaymentEventCounted:
    """`counted` is False when the event had been counted before (a redelivery)."""

    counted: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class CountPaymentEvent:
    """Count each payment, deposit, hold, transfer and dispute event exactly once across
    every instance of the consumer.

    Rules:
    - The event is read first (`settled_payment`, `deposit_outcome`, `hold_outcome`,
      `transferred_money`, `dispute_status`): one that cannot be understood raises
      UnreadableEvent before anything is recorded, so it is never half-counted.
    - The inbox decides: only the instance whose inbox record commits counts the event;
      a redelivery (to this or another instance) changes nothing.
    - The inbox record commits *before* the counters move (it is committed when
      `first_time` returns). Counters live in memory and cannot be rolled back: counting
      first and then failing to commit would count the redelivery again. A crash between
      commit and count loses one increment, the same loss as the process's restart
      resets every counter (Prometheus handles resets).
    - Any failure propagates before anything is counted; the message is delivered again.
    """

    inbox: ConsumerInbox
    metrics: PaymentMetrics

    async def execute(self, request: CountPaymentEventRequest) -> PaymentEventCounted:
        event = request.event
        settled = settled_payment(event)
        deposited = deposit_outcome(event)
        held = hold_outcome(event)
        transferred = transferred_money(event)
        disputed = dispute_status(event)
        if not await self.inbox.first_time(METRICS_CONSUMER, event.event_id):
            return PaymentEventCounted(counted=False)
        self.metrics.record(event, settled)
        if deposited is not None:
            self.metrics.record_deposit(deposited)
        if held is not None:
            self.metrics.record_hold(held)
        if transferred is not None:
            self.metrics.record_transfer(transferred)
        if disputed is not None:
            self.metrics.record_dispute(disputed)
        return PaymentEventCounted(counted=True)
