from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol
from uuid import UUID

from wallet_domain.model.events import DomainEvent
from wallet_domain.model.hold import Hold, HoldStatus
from wallet_domain.model.idempotency import IdempotencyRecord
from wallet_domain.model.pagination import LedgerPosition
from wallet_domain.model.transaction import LedgerEntry


class HoldOpenOutcome(StrEnum):
    OPENED = "OPENED"  # key claimed with the reply, debited, hold + rows + event written
    NOT_COVERED = "NOT_COVERED"  # the balance does not cover it: nothing written
    KEY_HELD = "KEY_HELD"  # the key was already held: nothing written
    NO_WALLET = "NO_WALLET"  # no such wallet: nothing written


class HoldMove(StrEnum):
    """What `HoldBook.settle` did."""

    MOVED = "MOVED"  # the hold left PENDING as asked, with its release and event
    SETTLED = "SETTLED"  # it was no longer PENDING (a concurrent move won): nothing written
    # Still PENDING but its `expires_at` is at or before the database's now(): only an
    # expiry moves it (a capture or release after the deadline is refused). Nothing written.
    DUE = "DUE"


@dataclass(frozen=True, slots=True)
class HoldOpening:
    outcome: HoldOpenOutcome
    holder: IdempotencyRecord | None = None  # set when KEY_HELD


class HoldBook(Protocol):
    """Holds and the balance and ledger moves that go with them, in the caller's
    transaction (never commits). Each write is all-or-nothing."""

    async def open(
        self, hold: Hold, entry: LedgerEntry, created: DomainEvent, claim: IdempotencyRecord
    ) -> HoldOpening:
        """If the wallet exists, the key is free and the balance covers the hold: claim
        the key with `claim` (already answered: it carries the reply), debit the balance
        (its row stays locked until commit, so it never goes negative), add the amount to
        `pending_debit`, and write the hold, its HOLD ledger row and `created`, all or
        nothing. Otherwise nothing is written and the outcome says why. Meant to cost one
        round trip; joins the caller's open transaction if any, else commits on its own.
        Waits for a concurrent claimer of the same key to commit or roll back."""
        ...

    async def lock(self, user_id: str, hold_id: UUID) -> Hold | None:
        """The wallet's hold, locked until the transaction ends (None if it has none)."""
        ...

    async def get(self, user_id: str, hold_id: UUID) -> Hold | None:
        """The wallet's hold as last committed (None if it has none); locks nothing and,
        without an open transaction, opens none."""
        ...

    async def settle(self, hold: Hold, release: LedgerEntry | None, event: DomainEvent) -> HoldMove:
        """Record `hold`'s move out of PENDING if it is still PENDING and, unless the move
        is an expiry, not yet due by the database's clock (`expires_at` > now()): give
        `release` (if any) back to the balance with its HOLD_RELEASE row, take the held
        amount off `pending_debit`, and write `event`, all or nothing, and say how it went.
        Meant to cost one round trip; joins the caller's open transaction if any (one
        holding the hold's lock: `lock` or `claim_expired`, so it is PENDING: MOVED, or DUE
        for a completion or revert after the deadline), else commits on its own: then a
        concurrent move that won makes it SETTLED, nothing written."""
        ...

    async def page(
        self,
        user_id: str,
        status: HoldStatus | None,
        *,
        before: LedgerPosition | None,
        limit: int,
    ) -> list[Hold]:
        """Up to `limit` holds strictly before `before` (from the newest if None), newest
        first: (created_at, id) descending."""
        ...

    async def position(self, user_id: str, hold_id: UUID) -> LedgerPosition | None:
        """Where the wallet's hold sits in its pages (None if the wallet has no such hold):
        what a cursor naming it by id resumes after."""
        ...

    async def claim_expired(self, *, limit: int) -> Sequence[Hold]:
        """Lock up to `limit` PENDING holds whose `expires_at` is at or before the
        database's now() (the clock `settle` refuses a late completion or revert by: one
        clock decides a deadline, whichever app instance asks), skipping those other
        transactions hold, ordered so that settling them in turn takes balance rows in one
        global order (no deadlock between workers)."""
        ...
