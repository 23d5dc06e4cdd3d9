from __future__ import annotations

from typing import Protocol

from wallet_domain.model.deposit_outcome import DepositOutcome
from wallet_domain.model.dispute import DisputeStatus
from wallet_domain.model.events import DomainEvent
from wallet_domain.model.hold_outcome import HoldOutcome
from wallet_domain.model.settled_payment import SettledPayment
from wallet_domain.money import Money


class PaymentMetrics(Protocol):
    """Business metrics of this process; each instance counts what it consumed."""

    def record(self, event: DomainEvent, settled: SettledPayment | None) -> None:
        """Count one first-time event, and the payment it settled if any. Cannot fail:
        it is called after the dedupe record committed, when nothing can be undone."""
        ...

    def record_deposit(self, outcome: DepositOutcome) -> None:
        """Count one first-time deposit event by the state it reached, with its money.
        Cannot fail, for the same reason as `record`."""
        ...

    def record_hold(self, outcome: HoldOutcome) -> None:
        """Count one first-time hold event by the state it reached, with its money.
        Cannot fail, for the same reason as `record`."""

    def record_transfer(self, money: Money) -> None:
        """Count one first-time completed transfer of `money`. Cannot fail, like `record`."""
        ...

    def record_dispute(self, status: DisputeStatus) -> None:
        """Count one first-time dispute event by the status it reached. Cannot fail."""
        ...
