"""Holds on the real adapters for the persistence tests, as the use cases would make them."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession
from wallet_domain.hold_moves import release_of
from wallet_domain.model.events import hold_event
from wallet_domain.model.hold import Hold, new_hold
from wallet_domain.model.idempotency import IdempotencyRecord, IdempotencyState, StoredResponse
from wallet_domain.model.transaction import new_hold_entry
from wallet_domain.money import Money
from wallet_domain.ports.hold_book import HoldMove, HoldOpening, HoldOpenOutcome
from wallet_infra.persistence.hold_book import SqlaHoldBook

from .payment_kit import TRACEPARENT, clock, ids


def hold_book(session: AsyncSession) -> SqlaHoldBook:
    return SqlaHoldBook(session=session, traceparent_provider=lambda: TRACEPARENT)


def a_hold(
    user_id: str,
    money: Money,
    *,
    expires_in: timedelta = timedelta(days=7),
    age: timedelta = timedelta(),
) -> Hold:
    """A new PENDING hold, created `age` ago."""
    return new_hold(
        id=ids.new_id(),
        user_id=user_id,
        money=money,
        reference="order-7",
        expires_in=expires_in,
        at=clock.now() - age,
    )


async def open_hold(
    session: AsyncSession, hold: Hold, *, key: str | None = None
) -> HoldOpenOutcome:
    """Open `hold` under `key` (a fresh one by default): how it went."""
    return (await hold_opening(session, hold, key=key)).outcome


async def hold_opening(session: AsyncSession, hold: Hold, *, key: str | None = None) -> HoldOpening:
    """Open `hold` under `key` (a fresh one by default), claimed with a stand-in reply:
    HoldBook.open's whole answer."""
    claim = IdempotencyRecord(
        user_id=hold.user_id,
        key=key or f"hold-{hold.id}",
        fingerprint="f" * 64,
        state=IdempotencyState.COMPLETED,
        created_at=hold.created_at,
        response=StoredResponse(201, f'{{"id":"{hold.id}"}}'.encode()),
    )
    entry = new_hold_entry(
        id=ids.new_id(),
        user_id=hold.user_id,
        money=hold.money,
        hold_id=hold.id,
        reference=hold.reference,
        at=hold.created_at,
    )
    return await hold_book(session).open(
        hold, entry, hold_event(hold, event_id=ids.new_id(), at=hold.created_at), claim
    )


async def settle_hold(session: AsyncSession, settled: Hold) -> HoldMove:
    """Record `settled` (already moved out of PENDING) as HoldBook.settle would be asked to;
    how it went."""
    return await hold_book(session).settle(
        settled,
        release_of(settled, ids=ids),
        hold_event(settled, event_id=ids.new_id(), at=settled.updated_at),
    )
