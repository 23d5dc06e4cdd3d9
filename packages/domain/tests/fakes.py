"""Hand-written in-memory fakes for every domain port, sharing one transactional store.

One `InMemoryDatabase` holds the committed state. Each request gets its own
`FakeTransactionManager` (its unit of work): the repository fakes bound to it read and
write a staged copy, which reaches the database only on commit and is thrown away on
rollback, so a test can assert that a refused request left nothing behind. Every fake
subclasses its Protocol, so mypy checks the signatures against the ports.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Final, TypeVar
from uuid import UUID

from wallet_domain.deadline import Deadline
from wallet_domain.errors import (
    DomainError,
    ErrorCode,
    GatewayUnavailable,
    ValidationError,
    WalletAlreadyExists,
)
from wallet_domain.model.events import DomainEvent, EventType, event_for
from wallet_domain.model.hold import Hold, HoldStatus
from wallet_domain.model.idempotency import IdempotencyRecord, IdempotencyState, StoredResponse
from wallet_domain.model.pagination import LedgerFilter, LedgerPosition
from wallet_domain.model.provider import ServiceProvider
from wallet_domain.model.settle_backoff import SettleBackoff
from wallet_domain.model.settlement import Settlement
from wallet_domain.model.transaction import (
    LedgerEntry,
    TransactionStatus,
    TransactionType,
    new_payment,
)
from wallet_domain.model.transfer import Transfer, TransferLegs
from wallet_domain.model.wallet import Balance, Wallet
from wallet_domain.money import DEFAULT_CURRENCIES, MAX_AMOUNT, Money
from wallet_domain.ports.clock import Clock
from wallet_domain.ports.hold_book import HoldBook, HoldOpening, HoldOpenOutcome
from wallet_domain.ports.id_generator import IdGenerator
from wallet_domain.ports.idempotency_store import IdempotencyStore
from wallet_domain.ports.ledger import Ledger
from wallet_domain.ports.outbox import OutboxWriter
from wallet_domain.ports.payment_book import Opening, OpenOutcome, PaymentBook
from wallet_domain.ports.payment_gateway import (
    ChargeRequest,
    ChargeStatus,
    LookupStatus,
    PaymentGateway,
)
from wallet_domain.ports.pending_deposits import PendingDeposits
from wallet_domain.ports.response_encoder import ResponseEncoder
from wallet_domain.ports.service_providers import ServiceProviders
from wallet_domain.ports.transaction_manager import TransactionManager
from wallet_domain.ports.transfer_book import Move, MoveOutcome, TransferBook
from wallet_domain.ports.wallet_balances import WalletBalances
from wallet_domain.ports.wallets import Wallets
from wallet_domain.settlement import PaymentSettlement
from wallet_domain.use_cases.create_hold import CreateHold
from wallet_domain.use_cases.create_wallet import CreateWallet
from wallet_domain.use_cases.deposit import Deposit
from wallet_domain.use_cases.expire_holds import ExpireHolds
from wallet_domain.use_cases.get_balance import GetBalance
from wallet_domain.use_cases.get_hold import GetHold
from wallet_domain.use_cases.get_payment import GetPayment
from wallet_domain.use_cases.get_transfer import GetTransfer
from wallet_domain.use_cases.get_wallet import GetWallet
from wallet_domain.use_cases.list_holds import ListHolds
from wallet_domain.use_cases.list_providers import ListProviders
from wallet_domain.use_cases.list_transactions import ListTransactions
from wallet_domain.use_cases.make_transfer import MakeTransfer
from wallet_domain.use_cases.pay import Pay
from wallet_domain.use_cases.resolve_pending_payments import ResolvePendingPayments
from wallet_domain.use_cases.settle_deposit import SettleDeposit
from wallet_domain.use_cases.settle_hold import SettleHold

EPOCH: Final = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)


class IntegrityViolation(Exception):
    """What a database constraint would raise; correct domain code never triggers one."""


# --------------------------------------------------------------------------- database


@dataclass
class Tables:
    wallets: dict[str, Wallet] = field(default_factory=dict)
    balances: dict[tuple[str, str], int] = field(default_factory=dict)
    ledger: dict[UUID, LedgerEntry] = field(default_factory=dict)
    idempotency: dict[tuple[str, str], IdempotencyRecord] = field(default_factory=dict)
    outbox: list[DomainEvent] = field(default_factory=list)
    holds: dict[UUID, Hold] = field(default_factory=dict)
    transfers: dict[UUID, Transfer] = field(default_factory=dict)

    def copy(self) -> Tables:
        # Every value is immutable (frozen dataclasses, ints), so shallow copies suffice.
        return Tables(
            wallets=dict(self.wallets),
            balances=dict(self.balances),
            ledger=dict(self.ledger),
            idempotency=dict(self.idempotency),
            outbox=list(self.outbox),
            holds=dict(self.holds),
            transfers=dict(self.transfers),
        )


_K = TypeVar("_K")
_V = TypeVar("_V")


def _merge(committed: dict[_K, _V], base: dict[_K, _V], staged: dict[_K, _V]) -> None:
    """Apply what one unit of work changed relative to the snapshot it started from."""
    for key, value in staged.items():
        if base.get(key) is not value:
            committed[key] = value
    for key in base.keys() - staged.keys():
        committed.pop(key, None)


class InMemoryDatabase:
    """The committed state, plus the row locks open units of work hold."""

    def __init__(self, providers: Iterable[ServiceProvider] = ()) -> None:
        self.committed = Tables()
        self.providers: dict[UUID, ServiceProvider] = {p.id: p for p in providers}
        self.locks: dict[UUID, FakeTransactionManager] = {}
        # Payments whose settlement statement fails, as a broken row or a bug would make it.
        self.unsettleable: set[UUID] = set()

    def apply(self, base: Tables, staged: Tables) -> None:
        done = self.committed
        _merge(done.wallets, base.wallets, staged.wallets)
        _merge(done.ledger, base.ledger, staged.ledger)
        _merge(done.idempotency, base.idempotency, staged.idempotency)
        _merge(done.holds, base.holds, staged.holds)
        _merge(done.transfers, base.transfers, staged.transfers)
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


def assert_money_invariants(db: InMemoryDatabase) -> None:
    """The money rules: per wallet and currency, balance == Σ signed amounts of the ledger
    rows that count (not pending or reverted deposits) and ≥ 0; refunds only for settled,
    non-approved payments, at most one each; every settled hold released exactly what it
    did not capture, every open hold nothing."""
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


# --------------------------------------------------------------------------- unit of work


class FakeTransactionManager(TransactionManager):
    """One request's unit of work. Reads see the committed state as of the first access
    plus this unit's own writes; commit applies the writes, rollback discards them."""

    def __init__(self, db: InMemoryDatabase) -> None:
        self.db = db
        self._base: Tables | None = None
        self._staged: Tables | None = None
        self.commits = 0
        self.rollbacks = 0
        self.fail_next_commit: Exception | None = None

    @property
    def tables(self) -> Tables:
        if self._staged is None:
            self._base = self.db.committed.copy()
            self._staged = self._base.copy()
        return self._staged

    @property
    def has_pending_writes(self) -> bool:
        return self._staged is not None and self._staged != self._base

    def latest_balance(self, user_id: str, currency: str) -> int | None:
        """A balance as a row lock reads it: the latest committed value plus this unit's
        own change (None: no such balance row)."""
        staged = self.tables
        assert self._base is not None
        key = (user_id, currency)
        committed = self.db.committed.balances.get(key)
        if committed is None and key not in staged.balances:
            return None
        return (committed or 0) + staged.balances.get(key, 0) - self._base.balances.get(key, 0)

    async def commit(self) -> None:
        if self.fail_next_commit is not None:
            error, self.fail_next_commit = self.fail_next_commit, None
            raise error
        if self._staged is not None and self._base is not None:
            self.db.apply(self._base, self._staged)
        self._end()
        self.commits += 1

    async def rollback(self) -> None:
        self._end()
        self.rollbacks += 1

    def _end(self) -> None:
        self._base = self._staged = None
        for payment_id, holder in list(self.db.locks.items()):
            if holder is self:
                del self.db.locks[payment_id]


# --------------------------------------------------------------------------- repositories


class FakeWallets(Wallets):
    def __init__(self, tx: FakeTransactionManager) -> None:
        self._tx = tx

    async def add(self, wallet: Wallet) -> None:
        wallets = self._tx.tables.wallets
        if wallet.user_id in wallets:
            raise WalletAlreadyExists(user_id=wallet.user_id)
        wallets[wallet.user_id] = wallet

    async def get(self, user_id: str) -> Wallet | None:
        return self._tx.tables.wallets.get(user_id)


class FakeWalletBalances(WalletBalances):
    """`pending` is computed from the PENDING payments in the ledger. Payments debit
    through FakePaymentBook."""

    def __init__(self, tx: FakeTransactionManager) -> None:
        self._tx = tx
        self.credits: list[tuple[str, Money]] = []

    async def credit(self, user_id: str, money: Money) -> int:
        tables = self._tx.tables
        if user_id not in tables.wallets:
            raise IntegrityViolation(f"no wallet {user_id!r} (foreign key)")
        new = tables.balances.get((user_id, money.currency), 0) + money.amount
        # Like the balance row's constraint: balance + what is held + what pending deposits
        # bring is bounded, so held and announced money always fits when it arrives.
        if new + _owed(tables, user_id, money.currency) > MAX_AMOUNT:
            raise ValidationError("balance would overflow", field="amount")
        tables.balances[(user_id, money.currency)] = new
        self.credits.append((user_id, money))
        return new

    async def read(self, user_id: str, currency: str | None = None) -> list[Balance]:
        tables = self._tx.tables
        return [
            Balance(
                currency=c,
                available=amount,
                pending=_held(tables, user_id, c),
                pending_credit=_announced(tables, user_id, c),
            )
            for (u, c), amount in sorted(tables.balances.items())
            if u == user_id and (currency is None or c == currency)
        ]


def _held(tables: Tables, user_id: str, currency: str) -> int:
    """What the wallet's PENDING payments and open holds hold in `currency`."""
    payments = sum(
        e.money.amount
        for e in tables.ledger.values()
        if e.user_id == user_id
        and e.money.currency == currency
        and e.type is TransactionType.PAYMENT
        and e.status is TransactionStatus.PENDING
    )
    holds = sum(
        h.money.amount
        for h in tables.holds.values()
        if h.user_id == user_id and h.money.currency == currency and h.status is HoldStatus.PENDING
    )
    return payments + holds


def _announced(tables: Tables, user_id: str, currency: str) -> int:
    """What the wallet's PENDING deposits will bring in `currency`."""
    return sum(
        e.money.amount
        for e in tables.ledger.values()
        if e.user_id == user_id
        and e.money.currency == currency
        and e.type is TransactionType.DEPOSIT
        and e.status is TransactionStatus.PENDING
    )


def _owed(tables: Tables, user_id: str, currency: str) -> int:
    return _held(tables, user_id, currency) + _announced(tables, user_id, currency)


def _is_pending_payment(entry: LedgerEntry | None) -> bool:
    return (
        entry is not None
        and entry.type is TransactionType.PAYMENT
        and entry.status is TransactionStatus.PENDING
    )


def _check_appendable(ledger: dict[UUID, LedgerEntry], entry: LedgerEntry) -> None:
    """The ledger's constraints: unique ids, at most one refund per payment."""
    if entry.id in ledger:
        raise IntegrityViolation(f"duplicate transaction id {entry.id}")
    if entry.refund_of is not None and any(e.refund_of == entry.refund_of for e in ledger.values()):
        raise IntegrityViolation(f"payment {entry.refund_of} already refunded")


class FakeLedger(Ledger):
    """Append-only; unique ids, at most one refund per payment."""

    def __init__(self, tx: FakeTransactionManager) -> None:
        self._tx = tx

    async def append(self, entry: LedgerEntry) -> None:
        ledger = self._tx.tables.ledger
        _check_appendable(ledger, entry)
        ledger[entry.id] = entry

    async def get(self, user_id: str, transaction_id: UUID) -> LedgerEntry | None:
        entry = self._tx.tables.ledger.get(transaction_id)
        return entry if entry is not None and entry.user_id == user_id else None

    async def claim_stale_pending(
        self, created_before: datetime, *, skip: Sequence[UUID] = ()
    ) -> LedgerEntry | None:
        locks = self._tx.db.locks
        candidates = sorted(
            (
                e
                for e in self._tx.tables.ledger.values()
                if e.type is TransactionType.PAYMENT
                and e.status is TransactionStatus.PENDING
                and e.created_at < created_before
                and e.id not in skip
                and locks.get(e.id, self._tx) is self._tx
            ),
            key=lambda e: (e.created_at, e.id),
        )
        if not candidates:
            return None
        locks[candidates[0].id] = self._tx
        return candidates[0]

    async def page(
        self, user_id: str, filters: LedgerFilter, *, before: LedgerPosition | None, limit: int
    ) -> list[LedgerEntry]:
        rows = [
            e
            for e in self._tx.tables.ledger.values()
            if e.user_id == user_id
            and (before is None or (e.created_at, e.id) < (before.created_at, before.id))
            and (filters.type is None or e.type is filters.type)
            and (filters.status is None or e.status is filters.status)
            and (filters.currency is None or e.money.currency == filters.currency)
        ]
        return sorted(rows, key=lambda e: (e.created_at, e.id), reverse=True)[:limit]


class FakeIdempotencyStore(IdempotencyStore):
    def __init__(self, tx: FakeTransactionManager) -> None:
        self._tx = tx

    async def claim(self, record: IdempotencyRecord) -> IdempotencyRecord | None:
        # Like a unique index, a claim also sees keys committed after this unit's snapshot.
        scope = (record.user_id, record.key)
        records = self._tx.tables.idempotency
        existing = records.get(scope) or self._tx.db.committed.idempotency.get(scope)
        if existing is not None:
            return existing
        records[scope] = record
        return None

    async def get(self, user_id: str, key: str) -> IdempotencyRecord | None:
        scope = (user_id, key)
        return self._tx.tables.idempotency.get(scope) or self._tx.db.committed.idempotency.get(
            scope
        )

    async def complete(
        self, user_id: str, key: str, response: StoredResponse, at: datetime
    ) -> StoredResponse:
        records = self._tx.tables.idempotency
        record = records.get((user_id, key))
        if record is None:
            raise IntegrityViolation(f"no idempotency record ({user_id!r}, {key!r})")
        if record.state is not IdempotencyState.IN_PROGRESS:
            assert record.response is not None
            return record.response  # a stored reply never changes
        records[(user_id, key)] = replace(
            record, state=IdempotencyState.COMPLETED, response=response
        )
        return response

    async def purge_older_than(self, cutoff: datetime, *, batch: int) -> int:
        records = self._tx.tables.idempotency
        expired = sorted(
            (
                (record.created_at, scope)
                for scope, record in records.items()
                if record.state is IdempotencyState.COMPLETED and record.created_at < cutoff
            ),
        )[:batch]
        for _, scope in expired:
            del records[scope]
        return len(expired)


class FakeOutbox(OutboxWriter):
    """Records events in order, in the unit of work's staged state."""

    def __init__(self, tx: FakeTransactionManager) -> None:
        self._tx = tx

    async def add(self, event: DomainEvent) -> None:
        self._tx.tables.outbox.append(event)


class FakePaymentBook(PaymentBook):
    """A payment's two writes, each all-or-nothing in the unit of work (checked in full
    before anything is staged), with the guards AsyncpgPaymentBook's statements have: the key
    claim, the covering check and the PENDING guard see commits made after the unit's
    snapshot, like a unique index, a row lock and `UPDATE ... WHERE status = 'PENDING'`.
    Records every opening and every settlement it wrote."""

    def __init__(self, tx: FakeTransactionManager) -> None:
        self._tx = tx
        self.openings: list[Opening] = []
        self.settlements: list[Settlement] = []

    async def open(
        self,
        payment: LedgerEntry,
        claim: IdempotencyRecord,
        created: DomainEvent,
        refusal: StoredResponse,
    ) -> Opening:
        tables, committed = self._tx.tables, self._tx.db.committed
        scope = (claim.user_id, claim.key)
        holder = tables.idempotency.get(scope) or committed.idempotency.get(scope)
        money = payment.money
        if holder is not None:
            opening = Opening(OpenOutcome.HELD, holder=holder)
        elif claim.user_id not in tables.wallets and claim.user_id not in committed.wallets:
            opening = Opening(OpenOutcome.NO_WALLET)
        else:
            balance = self._tx.latest_balance(claim.user_id, money.currency)
            if balance is None or balance < money.amount:
                answered = replace(claim, state=IdempotencyState.COMPLETED, response=refusal)
                tables.idempotency[scope] = answered
                opening = Opening(OpenOutcome.REFUSED)
            else:
                _check_appendable(tables.ledger, payment)
                tables.idempotency[scope] = claim
                key = (claim.user_id, money.currency)
                tables.balances[key] = tables.balances.get(key, 0) - money.amount
                tables.ledger[payment.id] = payment
                tables.outbox.append(created)
                opening = Opening(OpenOutcome.DEBITED)
        self.openings.append(opening)
        return opening

    async def settle(self, settlement: Settlement) -> bool:
        tables, committed = self._tx.tables, self._tx.db.committed
        payment, refund = settlement.payment, settlement.refund
        staged = tables.ledger.get(payment.id)
        if not _is_pending_payment(staged) or not _is_pending_payment(
            committed.ledger.get(payment.id, staged)
        ):
            return False
        if payment.id in self._tx.db.unsettleable:
            raise IntegrityViolation(f"payment {payment.id} cannot be settled")
        credited: tuple[tuple[str, str], int] | None = None
        if refund is not None:
            _check_appendable(tables.ledger, refund)
            if refund.user_id not in tables.wallets and refund.user_id not in committed.wallets:
                raise IntegrityViolation(f"no wallet {refund.user_id!r} (foreign key)")
            key = (refund.user_id, refund.money.currency)
            latest = self._tx.latest_balance(*key) or 0
            # Cannot happen while credits keep balance + held <= MAX_AMOUNT (as the DB does).
            assert latest + refund.money.amount <= MAX_AMOUNT, "held money no longer fits"
            credited = (key, tables.balances.get(key, 0) + refund.money.amount)
        tables.ledger[payment.id] = payment
        if refund is not None and credited is not None:
            tables.balances[credited[0]] = credited[1]
            tables.ledger[refund.id] = refund
        tables.outbox.extend(settlement.events)
        for scope, record in tables.idempotency.items():
            latest_record = committed.idempotency.get(scope, record)
            if (
                record.payment_id == payment.id
                and record.state is IdempotencyState.IN_PROGRESS
                and latest_record.state is IdempotencyState.IN_PROGRESS
            ):
                tables.idempotency[scope] = replace(
                    record, state=IdempotencyState.COMPLETED, response=settlement.reply
                )
                break
        self.settlements.append(settlement)
        return True


def _latest(
    staged: dict[UUID, _V], base: dict[UUID, _V], committed: dict[UUID, _V], id: UUID
) -> _V | None:
    """A row as `SELECT ... FOR UPDATE` reads it: this unit's own write, else the latest
    committed version (which may be newer than the unit's snapshot)."""
    mine = staged.get(id)
    if mine is not None and mine is not base.get(id):
        return mine
    return committed.get(id, mine)


class FakeHoldBook(HoldBook):
    """Holds with the guards SqlaHoldBook's statements have: the covering check reads the
    latest balance (a row lock), a lock reads the latest hold, and a settle moves the hold
    only if its latest version is still PENDING (as the statement's guarded UPDATE)."""

    def __init__(self, tx: FakeTransactionManager) -> None:
        self._tx = tx

    async def open(
        self, hold: Hold, entry: LedgerEntry, created: DomainEvent, claim: IdempotencyRecord
    ) -> HoldOpening:
        tables, committed = self._tx.tables, self._tx.db.committed
        if hold.user_id not in tables.wallets and hold.user_id not in committed.wallets:
            return HoldOpening(HoldOpenOutcome.NO_WALLET)
        scope = (claim.user_id, claim.key)
        holder = tables.idempotency.get(scope) or committed.idempotency.get(scope)
        if holder is not None:
            return HoldOpening(HoldOpenOutcome.KEY_HELD, holder=holder)
        balance = self._tx.latest_balance(hold.user_id, hold.money.currency)
        if balance is None or balance < hold.money.amount:
            return HoldOpening(HoldOpenOutcome.NOT_COVERED)
        _check_appendable(tables.ledger, entry)
        tables.idempotency[scope] = claim
        key = (hold.user_id, hold.money.currency)
        tables.balances[key] = tables.balances.get(key, 0) - hold.money.amount
        tables.holds[hold.id] = hold
        tables.ledger[entry.id] = entry
        tables.outbox.append(created)
        return HoldOpening(HoldOpenOutcome.OPENED)

    async def lock(self, user_id: str, hold_id: UUID) -> Hold | None:
        tables = self._tx.tables
        base = self._tx._base.holds if self._tx._base is not None else {}
        hold = _latest(tables.holds, base, self._tx.db.committed.holds, hold_id)
        return hold if hold is not None and hold.user_id == user_id else None

    async def get(self, user_id: str, hold_id: UUID) -> Hold | None:
        hold = self._tx.tables.holds.get(hold_id)
        return hold if hold is not None and hold.user_id == user_id else None

    async def settle(self, hold: Hold, release: LedgerEntry | None, event: DomainEvent) -> bool:
        tables = self._tx.tables
        base = self._tx._base.holds if self._tx._base is not None else {}
        current = _latest(tables.holds, base, self._tx.db.committed.holds, hold.id)
        if current is None or current.status is not HoldStatus.PENDING:
            return False
        if hold.status is HoldStatus.PENDING:
            raise IntegrityViolation("a settled hold must leave PENDING")
        tables.holds[hold.id] = hold
        if release is not None:
            _check_appendable(tables.ledger, release)
            key = (hold.user_id, hold.money.currency)
            tables.balances[key] = tables.balances.get(key, 0) + release.money.amount
            tables.ledger[release.id] = release
        tables.outbox.append(event)
        return True

    async def page(
        self, user_id: str, status: HoldStatus | None, *, before: UUID | None, limit: int
    ) -> list[Hold]:
        rows = [
            h
            for h in self._tx.tables.holds.values()
            if h.user_id == user_id
            and (before is None or h.id < before)
            and (status is None or h.status is status)
        ]
        return sorted(rows, key=lambda h: h.id, reverse=True)[:limit]

    async def claim_expired(self, now: datetime, *, limit: int) -> Sequence[Hold]:
        locks = self._tx.db.locks
        due = sorted(
            (
                h
                for h in self._tx.tables.holds.values()
                if h.status is HoldStatus.PENDING
                and h.expires_at <= now
                and locks.get(h.id, self._tx) is self._tx
            ),
            key=lambda h: (h.user_id, h.money.currency, h.id),
        )[:limit]
        for hold in due:
            locks[hold.id] = self._tx
        return due


class FakePendingDeposits(PendingDeposits):
    """Pending credits computed from the ledger's PENDING deposits (as the DB keeps them on
    the balance row); the bound and the PENDING guard are the DB's."""

    def __init__(self, tx: FakeTransactionManager) -> None:
        self._tx = tx

    async def announce(self, user_id: str, money: Money) -> None:
        tables = self._tx.tables
        if user_id not in tables.wallets:
            raise IntegrityViolation(f"no wallet {user_id!r} (foreign key)")
        key = (user_id, money.currency)
        balance = tables.balances.get(key, 0)
        if balance + _owed(tables, user_id, money.currency) + money.amount > MAX_AMOUNT:
            raise ValidationError("balance would overflow", field="amount")
        tables.balances[key] = balance

    async def lock(self, user_id: str, deposit_id: UUID) -> LedgerEntry | None:
        tables = self._tx.tables
        base = self._tx._base.ledger if self._tx._base is not None else {}
        entry = _latest(tables.ledger, base, self._tx.db.committed.ledger, deposit_id)
        return entry if entry is not None and entry.user_id == user_id else None

    async def settle(self, deposit: LedgerEntry, event: DomainEvent) -> None:
        tables = self._tx.tables
        current = await self.lock(deposit.user_id, deposit.id)
        if current is None or current.status is not TransactionStatus.PENDING:
            raise IntegrityViolation(f"deposit {deposit.id} is not PENDING (trigger)")
        tables.ledger[deposit.id] = deposit
        if deposit.status is TransactionStatus.COMPLETED:
            key = (deposit.user_id, deposit.money.currency)
            tables.balances[key] = tables.balances.get(key, 0) + deposit.money.amount
        tables.outbox.append(event)


class FakeTransferBook(TransferBook):
    """A transfer's write, all-or-nothing in the unit of work, with the guards
    SqlaTransferBook's statement has: the key claim and the covering check see commits
    made after the unit's snapshot, like a unique index and a row lock; a credit past the
    largest amount is refused like the balance row's constraint. Records every move."""

    def __init__(self, tx: FakeTransactionManager) -> None:
        self._tx = tx
        self.moves: list[Move] = []

    async def move(
        self,
        transfer: Transfer,
        legs: TransferLegs,
        claim: IdempotencyRecord,
        completed: DomainEvent,
        refusal: StoredResponse,
    ) -> Move:
        tables, committed = self._tx.tables, self._tx.db.committed
        scope = (claim.user_id, claim.key)
        holder = tables.idempotency.get(scope) or committed.idempotency.get(scope)
        money = transfer.money

        def exists(user_id: str) -> bool:
            return user_id in tables.wallets or user_id in committed.wallets

        if holder is not None:
            move = Move(MoveOutcome.HELD, holder=holder)
        elif not exists(transfer.from_user_id):
            move = Move(MoveOutcome.NO_SENDER)
        elif not exists(transfer.to_user_id):
            move = Move(MoveOutcome.NO_RECEIVER)
        else:
            balance = self._tx.latest_balance(transfer.from_user_id, money.currency)
            if balance is None or balance < money.amount:
                tables.idempotency[scope] = replace(claim, response=refusal)
                move = Move(MoveOutcome.REFUSED)
            else:
                to_key = (transfer.to_user_id, money.currency)
                received = (self._tx.latest_balance(*to_key) or 0) + money.amount
                if received + _held(tables, *to_key) > MAX_AMOUNT:
                    raise ValidationError("balance would overflow", field="amount")
                for leg in (legs.debit, legs.credit):
                    _check_appendable(tables.ledger, leg)
                tables.idempotency[scope] = claim
                from_key = (transfer.from_user_id, money.currency)
                tables.balances[from_key] = tables.balances.get(from_key, 0) - money.amount
                tables.balances[to_key] = tables.balances.get(to_key, 0) + money.amount
                tables.transfers[transfer.id] = transfer
                tables.ledger[legs.debit.id] = legs.debit
                tables.ledger[legs.credit.id] = legs.credit
                tables.outbox.append(completed)
                move = Move(MoveOutcome.MOVED)
        self.moves.append(move)
        return move

    async def get(self, transfer_id: UUID) -> Transfer | None:
        return self._tx.tables.transfers.get(transfer_id)


class FakeServiceProviders(ServiceProviders):
    """Reference data: read straight from the database, outside any unit of work."""

    def __init__(self, db: InMemoryDatabase) -> None:
        self._db = db

    async def get_active(self, provider_id: UUID) -> ServiceProvider | None:
        provider = self._db.providers.get(provider_id)
        return provider if provider is not None and provider.active else None

    async def list_active(self) -> list[ServiceProvider]:
        return sorted((p for p in self._db.providers.values() if p.active), key=lambda p: p.name)


# --------------------------------------------------------------------------- clock, ids


class FixedClock(Clock):
    def __init__(self, now: datetime = EPOCH) -> None:
        self.current = now

    def now(self) -> datetime:
        return self.current

    def advance(self, delta: timedelta) -> None:
        self.current += delta


class SequentialIds(IdGenerator):
    """Version-7-shaped UUIDs that sort in the order they were issued."""

    def __init__(self) -> None:
        self.issued: list[UUID] = []

    def new_id(self) -> UUID:
        new = UUID(f"01900000-0000-7000-8000-{len(self.issued) + 1:012x}")
        self.issued.append(new)
        return new


# --------------------------------------------------------------------------- gateway

ChargeHook = Callable[[ChargeRequest], Awaitable[None]]
LookupHook = Callable[[UUID], Awaitable[None]]


class ScriptedGateway(PaymentGateway):
    """Answers from scripts (charge defaults to APPROVED; an unscripted lookup is a test
    error), can refuse admission, runs optional hooks inside calls, records every call."""

    def __init__(
        self,
        *,
        charges: Iterable[ChargeStatus] = (),
        lookups: Iterable[LookupStatus] = (),
        unavailable: bool = False,
    ) -> None:
        self.charges: deque[ChargeStatus] = deque(charges)
        self.lookups: deque[LookupStatus] = deque(lookups)
        self.unavailable = unavailable
        self.on_charge: ChargeHook | None = None
        self.on_lookup: LookupHook | None = None
        self.charge_calls: list[ChargeRequest] = []
        self.lookup_calls: list[UUID] = []
        self.admitted = 0
        self.in_use = 0

    def script(
        self, *, charges: Iterable[ChargeStatus] = (), lookups: Iterable[LookupStatus] = ()
    ) -> None:
        self.charges.extend(charges)
        self.lookups.extend(lookups)

    def admission(self) -> AbstractAsyncContextManager[None]:
        return self._slot()

    @asynccontextmanager
    async def _slot(self) -> AsyncIterator[None]:
        if self.unavailable:
            raise GatewayUnavailable(retry_after_s=7)
        self.admitted += 1
        self.in_use += 1
        try:
            yield
        finally:
            self.in_use -= 1

    async def charge(self, request: ChargeRequest, deadline: Deadline) -> ChargeStatus:
        self.charge_calls.append(request)
        if self.on_charge is not None:
            await self.on_charge(request)
        return self.charges.popleft() if self.charges else ChargeStatus.APPROVED

    async def lookup(self, payment_id: UUID, deadline: Deadline) -> LookupStatus:
        self.lookup_calls.append(payment_id)
        if self.on_lookup is not None:
            await self.on_lookup(payment_id)
        if not self.lookups:
            raise AssertionError(f"unscripted gateway lookup for {payment_id}")
        return self.lookups.popleft()


# --------------------------------------------------------------------------- responses

HTTP_STATUS: Final[dict[ErrorCode, int]] = {
    ErrorCode.VALIDATION_ERROR: 400,
    ErrorCode.UNAUTHORIZED: 401,
    ErrorCode.PAYMENT_DECLINED: 402,
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.INSUFFICIENT_FUNDS: 409,
    ErrorCode.WALLET_ALREADY_EXISTS: 409,
    ErrorCode.IDEMPOTENCY_IN_PROGRESS: 409,
    ErrorCode.INVALID_STATE: 409,
    ErrorCode.PAYLOAD_TOO_LARGE: 413,
    ErrorCode.IDEMPOTENCY_KEY_REUSED: 422,
    ErrorCode.RATE_LIMITED: 429,
    ErrorCode.INTERNAL: 500,
    ErrorCode.GATEWAY_ERROR: 502,
    ErrorCode.GATEWAY_UNAVAILABLE: 503,
    ErrorCode.GATEWAY_TIMEOUT: 504,
}


def _json(data: dict[str, Any]) -> bytes:
    return json.dumps(data, sort_keys=True, separators=(",", ":")).encode()


class JsonResponseEncoder(ResponseEncoder):
    def __init__(self) -> None:
        self.encoded = 0

    def created(self, entry: LedgerEntry) -> StoredResponse:
        self.encoded += 1
        return StoredResponse(
            201,
            _json(
                {
                    "id": str(entry.id),
                    "type": entry.type.value,
                    "status": entry.status.value,
                    "amount": entry.money.amount,
                    "currency": entry.money.currency,
                }
            ),
        )

    def transaction(self, entry: LedgerEntry, *, status_code: int) -> StoredResponse:
        created = self.created(entry)
        return StoredResponse(status_code, created.body)

    def hold(self, hold: Hold, *, status_code: int) -> StoredResponse:
        self.encoded += 1
        return StoredResponse(
            status_code,
            _json(
                {
                    "id": str(hold.id),
                    "status": hold.status.value,
                    "amount": hold.money.amount,
                    "captured": hold.captured,
                    "currency": hold.money.currency,
                }
            ),
        )

    def transferred(self, transfer: Transfer) -> StoredResponse:
        self.encoded += 1
        return StoredResponse(
            201,
            _json(
                {
                    "id": str(transfer.id),
                    "status": transfer.status.value,
                    "from_user_id": transfer.from_user_id,
                    "to_user_id": transfer.to_user_id,
                    "amount": transfer.money.amount,
                    "currency": transfer.money.currency,
                    "reference": transfer.reference,
                }
            ),
        )

    def failed(self, error: DomainError) -> StoredResponse:
        self.encoded += 1
        body = {"code": error.code.value, "message": error.message, "details": error.details}
        return StoredResponse(HTTP_STATUS[error.code], _json({"error": body}))


def body(response: StoredResponse) -> dict[str, Any]:
    decoded: dict[str, Any] = json.loads(response.body)
    return decoded


# --------------------------------------------------------------------------- wiring

PROVIDER: Final = ServiceProvider(
    id=UUID("018f0000-0000-7000-8000-00000000a001"), name="Power Co", active=True
)
WATER: Final = ServiceProvider(
    id=UUID("018f0000-0000-7000-8000-00000000a002"), name="Aqua Utility", active=True
)
RETIRED: Final = ServiceProvider(
    id=UUID("018f0000-0000-7000-8000-00000000a003"), name="Old Telecom", active=False
)
CURRENCIES: Final = DEFAULT_CURRENCIES


class Scope:
    """One request: its unit of work and the repositories bound to it."""

    def __init__(self, db: InMemoryDatabase) -> None:
        self.tx = FakeTransactionManager(db)
        self.wallets = FakeWallets(self.tx)
        self.balances = FakeWalletBalances(self.tx)
        self.ledger = FakeLedger(self.tx)
        self.idempotency = FakeIdempotencyStore(self.tx)
        self.outbox = FakeOutbox(self.tx)
        self.book = FakePaymentBook(self.tx)
        self.holds = FakeHoldBook(self.tx)
        self.pending = FakePendingDeposits(self.tx)
        self.transfers = FakeTransferBook(self.tx)


class World:
    """Everything a use case needs, wired the way a composition root would, with a fresh
    request scope per use case unless one is passed in."""

    def __init__(self) -> None:
        self.db = InMemoryDatabase(providers=[PROVIDER, WATER, RETIRED])
        self.clock = FixedClock()
        self.ids = SequentialIds()
        self.gateway = ScriptedGateway()
        self.encoder = JsonResponseEncoder()
        self.providers = FakeServiceProviders(self.db)
        self.scopes: list[Scope] = []
        # APP-scoped like the API's: shared by every recovery round of this world.
        self.settle_backoff = SettleBackoff(base=timedelta(minutes=1), cap=timedelta(hours=1))

    def scope(self) -> Scope:
        scope = Scope(self.db)
        self.scopes.append(scope)
        return scope

    def seed_wallet(self, user_id: str, **balances: int) -> None:
        self.db.seed_wallet(user_id, ids=self.ids, at=self.clock.now(), **balances)

    def settlement(self, scope: Scope) -> PaymentSettlement:
        return PaymentSettlement(
            book=scope.book, clock=self.clock, ids=self.ids, encoder=self.encoder
        )

    async def pending_payment(
        self, user_id: str, money: Money, *, key: str | None = None
    ) -> LedgerEntry:
        """A committed PENDING payment with its debit, key and event, as transaction 1
        leaves it (the wallet must afford it)."""
        scope = self.scope()
        payment = new_payment(
            id=self.ids.new_id(),
            user_id=user_id,
            money=money,
            provider_id=PROVIDER.id,
            external_reference="bill-42",
            at=self.clock.now(),
        )
        opening = await scope.book.open(
            payment,
            IdempotencyRecord(
                user_id=user_id,
                key=key or f"key-{payment.id}",
                fingerprint="f",
                state=IdempotencyState.IN_PROGRESS,
                created_at=payment.created_at,
                payment_id=payment.id,
            ),
            event_for(
                EventType.PAYMENT_CREATED,
                payment,
                event_id=self.ids.new_id(),
                at=payment.created_at,
            ),
            StoredResponse(409, b"refused"),
        )
        assert opening.outcome is OpenOutcome.DEBITED, opening
        await scope.tx.commit()
        return payment

    def create_wallet(self, scope: Scope | None = None) -> CreateWallet:
        scope = scope or self.scope()
        return CreateWallet(wallets=scope.wallets, tx=scope.tx, clock=self.clock)

    def deposit(self, scope: Scope | None = None) -> Deposit:
        scope = scope or self.scope()
        return Deposit(
            wallets=scope.wallets,
            balances=scope.balances,
            ledger=scope.ledger,
            pending=scope.pending,
            idempotency=scope.idempotency,
            outbox=scope.outbox,
            tx=scope.tx,
            clock=self.clock,
            ids=self.ids,
            encoder=self.encoder,
            currencies=CURRENCIES,
        )

    def pay(self, scope: Scope | None = None) -> Pay:
        scope = scope or self.scope()
        return Pay(
            providers=self.providers,
            ledger=scope.ledger,
            idempotency=scope.idempotency,
            book=scope.book,
            settlement=self.settlement(scope),
            gateway=self.gateway,
            tx=scope.tx,
            clock=self.clock,
            ids=self.ids,
            encoder=self.encoder,
            currencies=CURRENCIES,
        )

    def resolver(self, scope: Scope | None = None) -> ResolvePendingPayments:
        scope = scope or self.scope()
        return ResolvePendingPayments(
            ledger=scope.ledger,
            settlement=self.settlement(scope),
            gateway=self.gateway,
            tx=scope.tx,
            clock=self.clock,
            backoff=self.settle_backoff,
        )

    def get_balance(self, scope: Scope | None = None) -> GetBalance:
        scope = scope or self.scope()
        return GetBalance(wallets=scope.wallets, balances=scope.balances, currencies=CURRENCIES)

    def list_transactions(self, scope: Scope | None = None) -> ListTransactions:
        scope = scope or self.scope()
        return ListTransactions(wallets=scope.wallets, ledger=scope.ledger, currencies=CURRENCIES)

    def get_payment(self, scope: Scope | None = None) -> GetPayment:
        return GetPayment(ledger=(scope or self.scope()).ledger)

    def make_transfer(self, scope: Scope | None = None) -> MakeTransfer:
        scope = scope or self.scope()
        return MakeTransfer(
            book=scope.transfers,
            tx=scope.tx,
            clock=self.clock,
            ids=self.ids,
            encoder=self.encoder,
            currencies=CURRENCIES,
        )

    def get_transfer(self, scope: Scope | None = None) -> GetTransfer:
        return GetTransfer(book=(scope or self.scope()).transfers)

    def list_providers(self) -> ListProviders:
        return ListProviders(providers=self.providers)

    def create_hold(self, scope: Scope | None = None) -> CreateHold:
        scope = scope or self.scope()
        return CreateHold(
            book=scope.holds,
            tx=scope.tx,
            clock=self.clock,
            ids=self.ids,
            encoder=self.encoder,
            currencies=CURRENCIES,
        )

    def settle_hold(self, scope: Scope | None = None) -> SettleHold:
        scope = scope or self.scope()
        return SettleHold(
            book=scope.holds,
            idempotency=scope.idempotency,
            tx=scope.tx,
            clock=self.clock,
            ids=self.ids,
            encoder=self.encoder,
        )

    def expire_holds(self, scope: Scope | None = None) -> ExpireHolds:
        scope = scope or self.scope()
        return ExpireHolds(book=scope.holds, tx=scope.tx, clock=self.clock, ids=self.ids)

    def get_hold(self, scope: Scope | None = None) -> GetHold:
        return GetHold(book=(scope or self.scope()).holds)

    def list_holds(self, scope: Scope | None = None) -> ListHolds:
        scope = scope or self.scope()
        return ListHolds(wallets=scope.wallets, book=scope.holds)

    def settle_deposit(self, scope: Scope | None = None) -> SettleDeposit:
        scope = scope or self.scope()
        return SettleDeposit(
            deposits=scope.pending,
            idempotency=scope.idempotency,
            tx=scope.tx,
            clock=self.clock,
            ids=self.ids,
            encoder=self.encoder,
        )

    def get_wallet(self, scope: Scope | None = None) -> GetWallet:
        scope = scope or self.scope()
        return GetWallet(wallets=scope.wallets, balances=scope.balances)
