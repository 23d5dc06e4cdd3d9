"""A hold's single move out of PENDING, shared by complete, revert and the expiry worker
so all three settle alike (use cases do not call each other)."""

from __future__ import annotations

from datetime import datetime

from wallet_domain.errors import InvalidState
from wallet_domain.model.events import hold_event
from wallet_domain.model.hold import Hold, HoldStatus
from wallet_domain.model.transaction import LedgerEntry, new_hold_release
from wallet_domain.money import Money
from wallet_domain.ports.hold_book import HoldBook, HoldMove
from wallet_domain.ports.id_generator import IdGenerator


class HoldDue(Exception):
    """A completion or revert reached a PENDING hold past its deadline (by the database's
    clock): it was refused, nothing written. The hold is to expire instead."""


async def move_hold(
    *,
    book: HoldBook,
    ids: IdGenerator,
    hold: Hold,
    to: HoldStatus,
    amount: int | None = None,
    at: datetime,
) -> Hold | None:
    """Settle `hold` as `to` (capturing `amount` when completing), as read or locked.

    A hold already settled exactly this way (same status, same captured amount) is
    returned as it is, nothing written: a repeat of the action that won. Any other move
    of a settled hold is INVALID_STATE with its current status. None: `hold` was read
    unlocked and a concurrent move won meanwhile (nothing written; read it again).
    HoldDue: a completion or revert of a hold whose deadline has passed (nothing written;
    the hold can only expire now, as a card authorization cannot be captured once lapsed).
    """
    if hold.status is not HoldStatus.PENDING:
        if hold.already(to, amount):
            return hold
        raise InvalidState(f"the hold is already {hold.status.value}", status=hold.status.value)
    if to is HoldStatus.COMPLETED:
        settled = hold.complete(amount, at)
    elif to is HoldStatus.REVERTED:
        settled = hold.revert(at)
    else:
        settled = hold.expire(at)
    release = release_of(settled, ids=ids)
    moved = await book.settle(settled, release, hold_event(settled, event_id=ids.new_id(), at=at))
    if moved is HoldMove.DUE:
        raise HoldDue
    return settled if moved is HoldMove.MOVED else None


def release_of(settled: Hold, *, ids: IdGenerator) -> LedgerEntry | None:
    """The HOLD_RELEASE row of a settled hold (what it gives back), None if it gives
    nothing back (captured whole)."""
    if not settled.released:
        return None
    return new_hold_release(
        id=ids.new_id(),
        user_id=settled.user_id,
        money=Money(settled.released, settled.money.currency),
        hold_id=settled.id,
        at=settled.updated_at,
    )


def moved_under_lock(settled: Hold | None, hold: Hold) -> Hold:
    """`move_hold`'s result for a hold the caller locked: it cannot have lost a race."""
    if settled is None:
        raise RuntimeError(f"hold {hold.id} was not PENDING under its lock")
    return settled
