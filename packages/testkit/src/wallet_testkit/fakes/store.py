"""The committed in-memory tables every fake shares, their constraints as helpers, and
the money invariants a test checks on them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, TypeVar
from uuid import UUID

from wallet_domain.model.correction import Correction, CorrectionKind
from wallet_domain.model.dispute import Dispute, DisputeStatus
from wallet_domain.model.events import DomainEvent
from wallet_domain.model.hold import Hold, HoldStatus
from wallet_domain.model.idempotency import IdempotencyRecord
from wallet_domain.model.pagination import LedgerPosition
from wallet_domain.model.provider import ServiceProvider
from wallet_domain.model.refundable_payment import RefundablePayment
from wallet_domain.model.transaction import (
    LedgerEntry,
    TransactionStatus,
    TransactionType,
)
from wallet_domain.model.transfer import Transfer
from wallet_domain.model.wallet import Wallet
from wallet_domain.money import Money
from wallet_domain.ports.clock import Clock
from wallet_domain.ports.id_generator import IdGenerator

from wallet_testkit.fakes.clock import EPOCH, FixedClock

_K = TypeVar("_K")
_V = TypeVar("_V")


class IntegrityViolation(Exception):
    """What a database constraint would raise; correct domain code never triggers one."""


@dataclass
class Tables:
    wallets: dict[str, Wallet] = field(default_factory=dict)
    balances: dict[tuple[str, str], int] = field(default_factory=dict)
    ledger: dict[UUID, LedgerEntry] = field(default_factory=dict)
    idempotency: dict[tuple[str, str], IdempotencyRecord] = field(default_factory=dict)
    # (user_id, key) -> when `complete` answered it (`completed_at`; the purge counts from it)
    answered_at: dict[tuple[str, str], datetime] = field(default_factory=dict)
    outbox: list[DomainEvent] = field(default_factory=list)
    holds: dict[UUID, Hold] = field(default_factory=dict)
    transfers: dict[UUID, Transfer] = field(default_factory=dict)
    disputes: dict[UUID, Dispute] = field(default_factory=dict)
    filing_keys: dict[UUID, str] = field(default_factory=dict)  # dispute id -> key awaiting
    # dispute id -> (when to ask the provider again, attempts without an answer)
    filing_retries: dict[UUID, tuple[datetime, int]] = field(default_factory=dict)
    # dispute id -> when its evidence may be sent again (absent: now)
    evidence_due: dict[UUID, datetime | None] = field(default_factory=dict)
    # provider_event_id -> (type, subject_id, outcome), as `provider_events` stores them
    provider_events: dict[str, tuple[str, UUID | None, str]] = field(default_factory=dict)
    corrections: dict[tuple[UUID, CorrectionKind], Correction] = field(default_factory=dict)

    def add_to_balance(self, user_id: str, currency: str, delta: int) -> None:
        """Credit (or, negative, debit) a balance row, creating it at 0 if it has none."""
        key = (user_id, currency)
        self.balances[key] = self.balances.get(key, 0) + delta

    def copy(self) -> Tables:
        # Every value is immutable (frozen dataclasses, ints), so shallow copies suffice.
        return Tables(
            wallets=dict(self.wallets),
            balances=dict(self.balances),
            ledger=dict(self.ledger),
            idempotency=dict(self.idempotency),
            answered_at=dict(self.answered_at),
            outbox=list(self.outbox),
            holds=dict(self.holds),
            transfers=dict(self.transfers),
            disputes=dict(self.disputes),
            filing_keys=dict(self.filing_keys),
            filing_retries=dict(self.filing_retries),
            evidence_due=dict(self.evidence_due),
            provider_events=dict(self.provider_events),
            corrections=dict(self.corrections),
        )


def _merge(committed: dict[_K, _V], base: dict[_K, _V], staged: dict[_K, _V]) -> None:
    """Apply what one unit of work changed relative to the snapshot it started from."""
    for key, value in staged.items():
        if base.get(key) is not value:
            committed[key] = value
    for key in base.keys() - staged.keys():
        committed.pop(key, None)


class InMemoryDatabase:
    """The committed state, plus the row locks open units of work hold."""

    def __init__(
        self, providers: Iterable[ServiceProvider] = (), *, clock: Clock | None = None
    ) -> None:
        # The database's own clock (PostgreSQL's now()), for what a statement decides by it.
        self.clock: Clock = FixedClock() if clock is None else clock
        self.committed = Tables()
        self.providers: dict[UUID, ServiceProvider] = {p.id: p for p in providers}
        self.locks: dict[UUID, object] = {}  # row id -> the unit of work holding its lock
        # Payments whose settlement statement fails, as a broken row or a bug would make it.
        self.unsettleable: set[UUID] = set()

    def apply(self, base: Tables, staged: Tables) -> None:
        done = self.committed
        _merge(done.wallets, base.wallets, staged.wallets)
        _merge(done.ledger, base.ledger, staged.ledger)
        _merge(done.idempotency, base.idempotency, staged.idempotency)
        _merge(done.answered_at, base.answered_at, staged.answered_at)
        _merge(done.holds, base.holds, staged.holds)
        _merge(done.transfers, base.transfers, staged.transfers)
        _merge(done.disputes, base.disputes, staged.disputes)
        _merge(done.filing_keys, base.filing_keys, staged.filing_keys)
        _merge(done.filing_retries, base.filing_retries, staged.filing_retries)
        _merge(done.evidence_due, base.evidence_due, staged.evidence_due)
        _merge(done.provider_events, base.provider_events, staged.provider_events)
        _merge(done.corrections, base.corrections, staged.corrections)
        for key, value in staged.balances.items():
            # Apply the delta, as row locks would serialize concurrent changes.
            delta = value - base.balances.get(key, 0)
            if delta or key not in base.balances:
                done.balances[key] = done.balances.get(key, 0) + delta
        done.outbox.extend(staged.outbox[len(base.outbox) :])

    def seed_wallet(
        self, user_id: str, *, ids: IdGenerator, at: datetime = EPOCH, **balances: int
    ) -> None:
        """A committed wallet whose balances come from one DEPOSIT row each."""
        tables = self.committed
        tables.wallets[user_id] = Wallet(user_id=user_id, created_at=at)
        for currency, amount in balances.items():
            entry = LedgerEntry(
                id=ids.new_id(),
                user_id=user_id,
                type=TransactionType.DEPOSIT,
                status=TransactionStatus.COMPLETED,
                money=Money(amount, currency),
                created_at=at,
                updated_at=at,
            )
            tables.ledger[entry.id] = entry
            tables.balances[(user_id, currency)] = (
                tables.balances.get((user_id, currency), 0) + amount
            )

    # Read helpers for assertions, always on committed state.

    def balance(self, user_id: str, currency: str) -> int | None:
        return self.committed.balances.get((user_id, currency))

    def entries(
        self, *, user_id: str | None = None, type: TransactionType | None = None
    ) -> list[LedgerEntry]:
        return [
            e
            for e in self.committed.ledger.values()
            if (user_id is None or e.user_id == user_id) and (type is None or e.type is type)
        ]

    def refunds_of(self, payment_id: UUID) -> list[LedgerEntry]:
        return [e for e in self.entries(type=TransactionType.REFUND) if e.refund_of == payment_id]

    def events(self, aggregate_id: UUID | None = None) -> list[DomainEvent]:
        return [
            e
            for e in self.committed.outbox
            if aggregate_id is None or e.aggregate_id == aggregate_id
        ]

    def event_types(self, aggregate_id: UUID | None = None) -> list[str]:
        return [e.event_type.value for e in self.events(aggregate_id)]

    def record(self, user_id: str, key: str) -> IdempotencyRecord | None:
        return self.committed.idempotency.get((user_id, key))


def refunded_of(ledger: dict[UUID, LedgerEntry], payment_id: UUID) -> int:
    """What provider refunds gave back of a payment (the database keeps it on the row)."""
    return sum(
        e.money.amount
        for e in ledger.values()
        if e.type is TransactionType.PROVIDER_REFUND and e.refund_of == payment_id
    )


def charged_back_of(tables: Tables, payment_id: UUID) -> int:
    """What won disputes' chargebacks gave back of a payment (kept on the row too)."""
    disputed = {d.id for d in tables.disputes.values() if d.payment_id == payment_id}
    return sum(
        e.money.amount
        for e in tables.ledger.values()
        if e.type is TransactionType.CHARGEBACK and e.dispute_id in disputed
    )


def given_back(tables: Tables, payment_id: UUID) -> RefundablePayment:
    """A payment with its totals, as the payment row and its REDEBIT correction hold them."""
    redebit = tables.corrections.get((payment_id, CorrectionKind.REDEBIT))
    return RefundablePayment(
        payment=tables.ledger[payment_id],
        refunded=refunded_of(tables.ledger, payment_id),
        charged_back=charged_back_of(tables, payment_id),
        redebited=0 if redebit is None else redebit.money.amount,
    )


def check_within_amount(found: RefundablePayment) -> None:
    """The database's bound: refunds and chargebacks within what the payment may give back
    (the check on the row, and the ledger trigger's re-debit bound)."""
    if found.refunded + found.charged_back > found.charged:
        raise IntegrityViolation("transactions_given_back_within_amount")


def assert_money_invariants(db: InMemoryDatabase) -> None:
    """The money rules: per wallet and currency, balance == Σ signed amounts of the ledger
    rows that count (not pending or reverted deposits) and ≥ 0; refunds only for settled,
    non-approved payments, at most one each; every settled hold released exactly what it
    did not capture, every open hold nothing; a won dispute credited at most its payment's
    amount once, any other dispute nothing; no payment gave back (provider refunds and
    chargebacks) more than the wallet paid for its charge."""
    tables = db.committed
    sums: dict[tuple[str, str], int] = {}
    for e in tables.ledger.values():
        if not e.counts_in_balance:
            continue
        key = (e.user_id, e.money.currency)
        sums[key] = sums.get(key, 0) + e.signed_amount
    for key in sums.keys() | tables.balances.keys():
        balance = tables.balances.get(key, 0)
        assert balance == sums.get(key, 0), f"{key}: balance {balance} != ledger {sums.get(key)}"
        assert balance >= 0, f"{key}: negative balance {balance}"
    for payment in db.entries(type=TransactionType.PAYMENT):
        refunds = db.refunds_of(payment.id)
        refundable = payment.status in {TransactionStatus.DECLINED, TransactionStatus.FAILED}
        assert len(refunds) == (1 if refundable else 0), (payment.status, refunds)
        for refund in refunds:
            assert refund.money == payment.money
            assert refund.user_id == payment.user_id
    for hold in tables.holds.values():
        steps = [e for e in tables.ledger.values() if e.hold_id == hold.id]
        held = [e.money.amount for e in steps if e.type is TransactionType.HOLD]
        released = [e.money.amount for e in steps if e.type is TransactionType.HOLD_RELEASE]
        assert held == [hold.money.amount], (hold, steps)
        assert sum(released) == hold.released, (hold, steps)
        assert len(released) <= 1, (hold, steps)
    for dispute in tables.disputes.values():
        credits = [e.money for e in tables.ledger.values() if e.dispute_id == dispute.id]
        won = dispute.status is DisputeStatus.WON
        assert len(credits) <= (1 if won else 0), (dispute, credits)
        for credit in credits:
            assert credit.currency == dispute.money.currency, (dispute, credit)
            assert 0 < credit.amount <= dispute.money.amount, (dispute, credit)
    for payment in db.entries(type=TransactionType.PAYMENT):
        found = given_back(tables, payment.id)
        assert found.refunded + found.charged_back <= found.charged, found


class _Listed(Protocol):
    @property
    def id(self) -> UUID: ...
    @property
    def created_at(self) -> datetime: ...
    @property
    def user_id(self) -> str: ...
    @property
    def status(self) -> object: ...


_Row = TypeVar("_Row", bound=_Listed)


def page_by_position(
    rows: Iterable[_Row],
    user_id: str,
    status: object | None,
    *,
    before: LedgerPosition | None,
    limit: int,
) -> list[_Row]:
    """A book's `page` as its keyset query answers it: the wallet's rows (only those in
    `status`, if given) with (created_at, id) < `before`'s, newest first, at most `limit`."""
    kept = [
        row
        for row in rows
        if row.user_id == user_id
        and (before is None or (row.created_at, row.id) < (before.created_at, before.id))
        and (status is None or row.status is status)
    ]
    return sorted(kept, key=lambda row: (row.created_at, row.id), reverse=True)[:limit]


def position_in(rows: Iterable[_Listed], user_id: str, row_id: UUID) -> LedgerPosition | None:
    """A book's `position`: where the wallet's row `row_id` sits (None if it has none)."""
    found = next((row for row in rows if row.id == row_id and row.user_id == user_id), None)
    return None if found is None else LedgerPosition.of(found)


def held_total(tables: Tables, user_id: str, currency: str) -> int:
    """What the wallet's PENDING payments and open holds hold in `currency`."""
    holds = sum(
        h.money.amount
        for h in tables.holds.values()
        if h.user_id == user_id and h.money.currency == currency and h.status is HoldStatus.PENDING
    )
    return _pending_total(tables, user_id, currency, TransactionType.PAYMENT) + holds


def announced_total(tables: Tables, user_id: str, currency: str) -> int:
    """What the wallet's PENDING deposits will bring in `currency`."""
    return _pending_total(tables, user_id, currency, TransactionType.DEPOSIT)


def _pending_total(tables: Tables, user_id: str, currency: str, type: TransactionType) -> int:
    """The wallet's PENDING ledger rows of `type` in `currency`, summed."""
    return sum(
        e.money.amount
        for e in tables.ledger.values()
        if e.user_id == user_id
        and e.money.currency == currency
        and e.type is type
        and e.status is TransactionStatus.PENDING
    )


def owed_total(tables: Tables, user_id: str, currency: str) -> int:
    return held_total(tables, user_id, currency) + announced_total(tables, user_id, currency)


def is_pending_payment(entry: LedgerEntry | None) -> bool:
    return (
        entry is not None
        and entry.type is TransactionType.PAYMENT
        and entry.status is TransactionStatus.PENDING
    )


def check_appendable(ledger: dict[UUID, LedgerEntry], entry: LedgerEntry) -> None:
    """The ledger's constraints: unique ids, at most one REFUND per payment (provider
    refunds, several per payment, are bounded by FakeProviderPayments)."""
    if entry.id in ledger:
        raise IntegrityViolation(f"duplicate transaction id {entry.id}")
    if entry.type is TransactionType.REFUND and any(
        e.type is TransactionType.REFUND and e.refund_of == entry.refund_of for e in ledger.values()
    ):
        raise IntegrityViolation(f"payment {entry.refund_of} already refunded")


def latest_row(
    staged: dict[UUID, _V], base: dict[UUID, _V], committed: dict[UUID, _V], id: UUID
) -> _V | None:
    """A row as `SELECT ... FOR UPDATE` reads it: this unit's own write, else the latest
    committed version (which may be newer than the unit's snapshot)."""
    mine = staged.get(id)
    if mine is not None and mine is not base.get(id):
        return mine
    return committed.get(id, mine)
