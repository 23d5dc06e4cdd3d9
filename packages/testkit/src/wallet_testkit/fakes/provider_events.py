"""Fakes of the ports that applying provider events uses (`ProviderPayments`,
`ProviderEventLog`, `DisputeUpdates`, `ProviderEventMonitor`), on the shared in-memory
store, and `ProviderEventWorld`, which wires `ApplyProviderEvent` to them."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from uuid import UUID

from wallet_domain.model.events import DomainEvent
from wallet_domain.model.provider_event import (
    DisputeUpdated,
    ProviderEvent,
    ProviderEventOutcome,
)
from wallet_domain.model.provider_event_label import event_type_label
from wallet_domain.model.refundable_payment import RefundablePayment
from wallet_domain.model.transaction import (
    LedgerEntry,
    TransactionStatus,
    TransactionType,
)
from wallet_domain.ports.dispute_updates import DisputeUpdates
from wallet_domain.ports.provider_event_log import ProviderEventLog
from wallet_domain.ports.provider_event_monitor import ProviderEventMonitor
from wallet_domain.ports.provider_payments import ProviderPayments
from wallet_domain.use_cases.apply_provider_event import ApplyProviderEvent

from wallet_testkit.fakes.store import IntegrityViolation, check_appendable
from wallet_testkit.fakes.unit_of_work import FakeTransactionManager
from wallet_testkit.fakes.world import Scope, World


def refunded_of(ledger: dict[UUID, LedgerEntry], payment_id: UUID) -> int:
    """What provider refunds gave back of a payment (the database keeps it on the row)."""
    return sum(
        e.money.amount
        for e in ledger.values()
        if e.type is TransactionType.PROVIDER_REFUND and e.refund_of == payment_id
    )


class FakeProviderPayments(ProviderPayments):
    """Payments by id, with the bound the database puts on a payment's refunded total."""

    def __init__(self, tx: FakeTransactionManager) -> None:
        self._tx = tx

    async def lock(self, payment_id: UUID) -> RefundablePayment | None:
        ledger = self._tx.tables.ledger
        entry = ledger.get(payment_id)
        if entry is None or entry.type is not TransactionType.PAYMENT:
            return None
        return RefundablePayment(payment=entry, refunded=refunded_of(ledger, payment_id))

    async def refund(self, refund: LedgerEntry, created: DomainEvent) -> None:
        tables = self._tx.tables
        assert refund.refund_of is not None
        payment = tables.ledger[refund.refund_of]
        if payment.status is not TransactionStatus.APPROVED:
            raise IntegrityViolation(f"payment {payment.id} is {payment.status}")
        total = refunded_of(tables.ledger, payment.id) + refund.money.amount
        if total > payment.money.amount:
            raise IntegrityViolation("transactions_refunded_within_amount")
        check_appendable(tables.ledger, refund)
        key = (refund.user_id, refund.money.currency)
        tables.balances[key] = tables.balances.get(key, 0) + refund.money.amount
        tables.ledger[refund.id] = refund
        tables.outbox.append(created)


class FakeProviderEventLog(ProviderEventLog):
    """A unique key: a row committed by another unit of work counts too."""

    def __init__(self, tx: FakeTransactionManager) -> None:
        self._tx = tx

    async def record(
        self,
        *,
        provider_event_id: str,
        event_type: str,
        subject_id: UUID | None,
        outcome: ProviderEventOutcome,
        created_at: datetime,
    ) -> bool:
        staged, committed = self._tx.tables.provider_events, self._tx.db.committed.provider_events
        if provider_event_id in staged or provider_event_id in committed:
            return False
        staged[provider_event_id] = (event_type, subject_id, outcome.value)
        return True


class ScriptedDisputeUpdates(DisputeUpdates):
    """Answers `outcome` for every dispute event and records what it was handed."""

    def __init__(self, outcome: ProviderEventOutcome) -> None:
        self.outcome = outcome
        self.applied: list[DisputeUpdated] = []

    async def apply(self, event: DisputeUpdated) -> ProviderEventOutcome:
        self.applied.append(event)
        return self.outcome


class CountingMonitor(ProviderEventMonitor):
    def __init__(self) -> None:
        self.counts: Counter[tuple[str, str]] = Counter()
        self.seen: list[tuple[str, ProviderEventOutcome]] = []

    def observed(self, event: ProviderEvent, outcome: ProviderEventOutcome) -> None:
        self.counts[(event_type_label(event), outcome.value)] += 1
        self.seen.append((event.provider_event_id, outcome))


class ProviderEventWorld:
    """A `World` plus what applying provider events needs, one request scope per event."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.monitor = CountingMonitor()
        self.disputes = ScriptedDisputeUpdates(ProviderEventOutcome.UNKNOWN_TARGET)

    def apply(self, scope: Scope | None = None) -> ApplyProviderEvent:
        scope = scope or self.world.scope()
        return ApplyProviderEvent(
            payments=FakeProviderPayments(scope.tx),
            events=FakeProviderEventLog(scope.tx),
            settlement=self.world.settlement(scope),
            disputes=self.disputes,
            tx=scope.tx,
            clock=self.world.clock,
            ids=self.world.ids,
            monitor=self.monitor,
        )
