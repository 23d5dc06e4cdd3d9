"""Fake of the `HoldBook` port."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from wallet_domain.model.events import DomainEvent
from wallet_domain.model.hold import Hold, HoldStatus
from wallet_domain.model.idempotency import IdempotencyRecord
from wallet_domain.model.pagination import LedgerPosition
from wallet_domain.model.transaction import (
    LedgerEntry,
)
from wallet_domain.ports.hold_book import HoldBook, HoldMove, HoldOpening, HoldOpenOutcome

from wallet_testkit.fakes.store import (
    IntegrityViolation,
    check_appendable,
    latest_row,
    page_by_position,
    position_in,
)
from wallet_testkit.fakes.unit_of_work import FakeTransactionManager


class FakeHoldBook(HoldBook):
    """Holds with the guards SqlaHoldBook's statements have: the covering check reads the
    latest balance (a row lock), a lock reads the latest hold, and a settle moves the hold
    only if its latest version is still PENDING and, unless it expires it, not yet due by
    the database's clock (as the statement's guarded UPDATE)."""

    def __init__(self, tx: FakeTransactionManager) -> None:
        self._tx = tx

    async def open(
        self, hold: Hold, entry: LedgerEntry, created: DomainEvent, claim: IdempotencyRecord
    ) -> HoldOpening:
        tables = self._tx.tables
        if not self._tx.wallet_exists(hold.user_id):
            return HoldOpening(HoldOpenOutcome.NO_WALLET)
        holder = self._tx.key_holder(claim.user_id, claim.key)
        if holder is not None:
            return HoldOpening(HoldOpenOutcome.KEY_HELD, holder=holder)
        balance = self._tx.latest_balance(hold.user_id, hold.money.currency)
        if balance is None or balance < hold.money.amount:
            return HoldOpening(HoldOpenOutcome.NOT_COVERED)
        check_appendable(tables.ledger, entry)
        tables.idempotency[(claim.user_id, claim.key)] = claim
        tables.add_to_balance(hold.user_id, hold.money.currency, -hold.money.amount)
        tables.holds[hold.id] = hold
        tables.ledger[entry.id] = entry
        tables.outbox.append(created)
        return HoldOpening(HoldOpenOutcome.OPENED)

    async def lock(self, user_id: str, hold_id: UUID) -> Hold | None:
        tables = self._tx.tables
        base = self._tx._base.holds if self._tx._base is not None else {}
        hold = latest_row(tables.holds, base, self._tx.db.committed.holds, hold_id)
        return hold if hold is not None and hold.user_id == user_id else None

    async def get(self, user_id: str, hold_id: UUID) -> Hold | None:
        hold = self._tx.tables.holds.get(hold_id)
        return hold if hold is not None and hold.user_id == user_id else None

    async def settle(self, hold: Hold, release: LedgerEntry | None, event: DomainEvent) -> HoldMove:
        tables = self._tx.tables
        base = self._tx._base.holds if self._tx._base is not None else {}
        current = latest_row(tables.holds, base, self._tx.db.committed.holds, hold.id)
        if current is None or current.status is not HoldStatus.PENDING:
            return HoldMove.SETTLED
        if hold.status is not HoldStatus.EXPIRED and self._due(current):
            return HoldMove.DUE
        if hold.status is HoldStatus.PENDING:
            raise IntegrityViolation("a settled hold must leave PENDING")
        tables.holds[hold.id] = hold
        if release is not None:
            check_appendable(tables.ledger, release)
            tables.add_to_balance(hold.user_id, hold.money.currency, release.money.amount)
            tables.ledger[release.id] = release
        tables.outbox.append(event)
        return HoldMove.MOVED

    def _due(self, hold: Hold) -> bool:
        """Past its deadline by the database's clock (the statements' now())."""
        return hold.expires_at <= self._tx.db.clock.now()

    async def page(
        self,
        user_id: str,
        status: HoldStatus | None,
        *,
        before: LedgerPosition | None,
        limit: int,
    ) -> list[Hold]:
        holds = self._tx.tables.holds.values()
        return page_by_position(holds, user_id, status, before=before, limit=limit)

    async def position(self, user_id: str, hold_id: UUID) -> LedgerPosition | None:
        return position_in(self._tx.tables.holds.values(), user_id, hold_id)

    async def claim_expired(self, *, limit: int) -> Sequence[Hold]:
        locks = self._tx.db.locks
        due = sorted(
            (
                h
                for h in self._tx.tables.holds.values()
                if h.status is HoldStatus.PENDING
                and self._due(h)
                and locks.get(h.id, self._tx) is self._tx
            ),
            key=lambda h: (h.user_id, h.money.currency, h.id),
        )[:limit]
        for hold in due:
            locks[hold.id] = self._tx
        return due
