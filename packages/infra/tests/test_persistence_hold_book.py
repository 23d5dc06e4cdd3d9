"""SqlaHoldBook and SqlaPendingDeposits against PostgreSQL, with the rules the schema
enforces by itself (a hold moves once, a capture never exceeds it, the bound on the row)."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from wallet_domain.errors import ValidationError
from wallet_domain.model.events import EventType, event_for
from wallet_domain.model.hold import Hold, HoldStatus
from wallet_domain.model.idempotency import StoredResponse
from wallet_domain.model.transaction import TransactionStatus, new_deposit
from wallet_domain.model.wallet import Balance
from wallet_domain.money import MAX_AMOUNT, Money
from wallet_domain.ports.hold_book import HoldMove, HoldOpenOutcome
from wallet_infra.persistence.ledger import SqlaLedger
from wallet_infra.persistence.pending_deposits import SqlaPendingDeposits
from wallet_infra.persistence.wallet_balances import SqlaWalletBalances

from .hold_kit import a_hold, hold_book, hold_opening, open_hold, settle_hold
from .payment_kit import clock, funded_wallet, ids, open_wallet


async def _rows(session: AsyncSession, sql: str, **params: Any) -> list[dict[str, Any]]:
    return [dict(r._mapping) for r in await session.execute(text(sql), params)]


async def _usd(session: AsyncSession, user_id: str) -> Balance:
    [balance] = (await SqlaWalletBalances(session=session).read(user_id, "USD")).balances
    return balance


async def held(
    session_factory: async_sessionmaker[AsyncSession],
    session: AsyncSession,
    user_id: str,
    *,
    key: str | None = None,
) -> Hold:
    """A wallet funded with 1_000 USD, and a hold of 300 USD opened on `session` under `key`."""
    await funded_wallet(session_factory, user_id, Money(1_000, "USD"))
    hold = a_hold(user_id, Money(300, "USD"))
    assert await open_hold(session, hold, key=key) is HoldOpenOutcome.OPENED
    return hold


async def test_open_debits_into_pending_debit_and_writes_hold_row_and_event(
    session_factory: async_sessionmaker[AsyncSession], session: AsyncSession, user_id: str
) -> None:
    hold = await held(session_factory, session, user_id, key="k-1")

    assert await _usd(session, user_id) == Balance(currency="USD", available=700, pending=300)
    keys = await _rows(
        session,
        "SELECT state, response_status FROM idempotency_keys WHERE user_id = :u AND key = 'k-1'",
        u=user_id,
    )
    assert keys == [{"state": "COMPLETED", "response_status": 201}]
    assert await hold_book(session).get(user_id, hold.id) == hold
    ledger = await _rows(
        session, "SELECT type, amount, hold_id FROM transactions WHERE hold_id = :h", h=hold.id
    )
    assert ledger == [{"type": "HOLD", "amount": -300, "hold_id": hold.id}]
    events = await _rows(
        session, "SELECT event_type FROM outbox WHERE aggregate_id = :h", h=hold.id
    )
    assert events == [{"event_type": "hold.created"}]


async def test_open_that_the_balance_does_not_cover_writes_nothing(
    session_factory: async_sessionmaker[AsyncSession], session: AsyncSession, user_id: str
) -> None:
    await funded_wallet(session_factory, user_id, Money(100, "USD"))
    hold = a_hold(user_id, Money(101, "USD"))

    assert await open_hold(session, hold, key="k-1") is HoldOpenOutcome.NOT_COVERED
    no_row = a_hold(user_id, Money(1, "EUR"))
    assert await open_hold(session, no_row) is HoldOpenOutcome.NOT_COVERED
    assert (
        await open_hold(session, a_hold(f"no-{user_id}", Money(1, "USD")))
        is HoldOpenOutcome.NO_WALLET
    )

    assert await _usd(session, user_id) == Balance(currency="USD", available=100, pending=0)
    assert await hold_book(session).get(user_id, hold.id) is None
    keys = await _rows(session, "SELECT key FROM idempotency_keys WHERE user_id = :u", u=user_id)
    assert keys == []  # the key stays free


async def test_open_with_a_held_key_reads_the_holder_and_writes_nothing(
    session_factory: async_sessionmaker[AsyncSession], session: AsyncSession, user_id: str
) -> None:
    await funded_wallet(session_factory, user_id, Money(1_000, "USD"))
    first = a_hold(user_id, Money(100, "USD"))
    assert await open_hold(session, first, key="k-1") is HoldOpenOutcome.OPENED
    again = a_hold(user_id, Money(100, "USD"))

    opening = await hold_opening(session, again, key="k-1")

    assert opening.outcome is HoldOpenOutcome.KEY_HELD
    assert opening.holder is not None
    assert opening.holder.response == StoredResponse(201, f'{{"id":"{first.id}"}}'.encode())
    assert await _usd(session, user_id) == Balance(currency="USD", available=900, pending=100)


async def test_a_partial_capture_releases_the_rest_once(
    session_factory: async_sessionmaker[AsyncSession], session: AsyncSession, user_id: str
) -> None:
    hold = await held(session_factory, session, user_id)

    locked = await hold_book(session).lock(user_id, hold.id)
    assert locked == hold
    assert await settle_hold(session, locked.complete(120, clock.now())) is HoldMove.MOVED
    await session.commit()

    assert await _usd(session, user_id) == Balance(currency="USD", available=880, pending=0)
    released = await _rows(
        session,
        "SELECT amount FROM transactions WHERE hold_id = :h AND type = 'HOLD_RELEASE'",
        h=hold.id,
    )
    assert released == [{"amount": 180}]
    again = await hold_book(session).lock(user_id, hold.id)
    assert again is not None
    assert (again.status, again.captured) == (HoldStatus.COMPLETED, 120)
    await session.rollback()
    moved = await settle_hold(session, hold.revert(clock.now()))
    assert moved is HoldMove.SETTLED  # no longer PENDING
    assert await _usd(session, user_id) == Balance(currency="USD", available=880, pending=0)


async def test_a_settle_on_its_own_commits_alone_and_loses_to_the_lock_holder(
    session_factory: async_sessionmaker[AsyncSession], user_id: str
) -> None:
    """Without a transaction the settle is one statement committing by itself; one that
    meets a hold another transaction moved meanwhile waits for it, then writes nothing."""
    await funded_wallet(session_factory, user_id, Money(1_000, "USD"))
    hold = a_hold(user_id, Money(300, "USD"))
    async with session_factory() as session:
        await open_hold(session, hold)
        await session.commit()

    async with session_factory() as locker, session_factory() as unlocked:
        read = await hold_book(unlocked).get(user_id, hold.id)
        assert read == hold
        assert not unlocked.in_transaction()  # a read opens no transaction either
        locked = await hold_book(locker).lock(user_id, hold.id)
        assert locked is not None
        racing = asyncio.create_task(settle_hold(unlocked, read.complete(100, clock.now())))
        assert await settle_hold(locker, locked.revert(clock.now())) is HoldMove.MOVED
        await locker.commit()
        assert await asyncio.wait_for(racing, timeout=10) is HoldMove.SETTLED

        alone = a_hold(user_id, Money(200, "USD"))
        await open_hold(unlocked, alone)
        assert await settle_hold(unlocked, alone.complete(50, clock.now())) is HoldMove.MOVED
        assert not unlocked.in_transaction()

    async with session_factory() as session:  # another connection sees both committed
        assert await _usd(session, user_id) == Balance(currency="USD", available=950, pending=0)
        moved = await _rows(
            session, "SELECT status, captured FROM holds WHERE user_id = :u ORDER BY id", u=user_id
        )
        assert moved == [
            {"status": "REVERTED", "captured": None},
            {"status": "COMPLETED", "captured": 50},
        ]


async def test_the_schema_refuses_a_second_move_and_an_oversized_capture(
    session_factory: async_sessionmaker[AsyncSession], session: AsyncSession, user_id: str
) -> None:
    hold = await held(session_factory, session, user_id)

    with pytest.raises(DBAPIError, match="holds_capture_within_hold"):
        await session.execute(
            text("UPDATE holds SET status = 'COMPLETED', captured = 301 WHERE id = :h"),
            {"h": hold.id},
        )
    await session.rollback()
    await session.execute(
        text("UPDATE holds SET status = 'REVERTED' WHERE id = :h"), {"h": hold.id}
    )
    await session.commit()
    with pytest.raises(DBAPIError, match="moves out of PENDING once"):
        await session.execute(
            text("UPDATE holds SET status = 'EXPIRED' WHERE id = :h"), {"h": hold.id}
        )
    await session.rollback()
    with pytest.raises(DBAPIError, match="never deleted"):
        await session.execute(text("DELETE FROM holds WHERE id = :h"), {"h": hold.id})
    await session.rollback()


async def test_claim_expired_skips_holds_another_worker_has(
    session_factory: async_sessionmaker[AsyncSession], user_id: str
) -> None:
    await funded_wallet(session_factory, user_id, Money(1_000, "USD"))
    hold = a_hold(
        user_id, Money(300, "USD"), expires_in=timedelta(seconds=1), age=timedelta(hours=1)
    )
    async with session_factory() as session:
        await open_hold(session, hold)
        await session.commit()

    async with session_factory() as first, session_factory() as second:
        mine = await hold_book(first).claim_expired(limit=1_000)
        theirs = await hold_book(second).claim_expired(limit=1_000)
        assert hold.id in {h.id for h in mine}
        assert hold.id not in {h.id for h in theirs}
        await settle_hold(first, hold.expire(clock.now()))
        await first.commit()
        await second.rollback()

    async with session_factory() as session:
        assert await _usd(session, user_id) == Balance(currency="USD", available=1_000, pending=0)
        later = await hold_book(session).claim_expired(limit=1_000)
        assert hold.id not in {h.id for h in later}


async def test_only_an_expiry_moves_a_hold_past_its_deadline(
    session_factory: async_sessionmaker[AsyncSession], session: AsyncSession, user_id: str
) -> None:
    """By the database's now(): a completion or revert of a due hold writes nothing and
    says DUE; its expiry moves it; then nothing moves it again."""
    await funded_wallet(session_factory, user_id, Money(1_000, "USD"))
    # In one transaction now() stands still: a hold expiring exactly then is due (at the
    # deadline counts as past it), whatever the app's clock says.
    db_now = (await session.execute(text("SELECT now()"))).scalar_one()
    hold = replace(a_hold(user_id, Money(300, "USD"), age=timedelta(hours=1)), expires_at=db_now)
    await open_hold(session, hold)

    assert await settle_hold(session, hold.complete(100, clock.now())) is HoldMove.DUE
    assert await settle_hold(session, hold.revert(clock.now())) is HoldMove.DUE
    assert await _usd(session, user_id) == Balance(currency="USD", available=700, pending=300)
    assert await settle_hold(session, hold.expire(clock.now())) is HoldMove.MOVED
    assert await settle_hold(session, hold.revert(clock.now())) is HoldMove.SETTLED
    await session.commit()

    assert await _usd(session, user_id) == Balance(currency="USD", available=1_000, pending=0)
    events = await _rows(
        session,
        "SELECT event_type FROM outbox WHERE aggregate_id = :h ORDER BY event_id",
        h=hold.id,
    )
    assert [e["event_type"] for e in events] == ["hold.created", "hold.expired"]


async def test_parallel_holds_never_overdraw(
    session_factory: async_sessionmaker[AsyncSession], user_id: str
) -> None:
    await funded_wallet(session_factory, user_id, Money(1_000, "USD"))

    async def one() -> bool:
        async with session_factory() as session:
            opened = await open_hold(session, a_hold(user_id, Money(70, "USD")))
            return opened is HoldOpenOutcome.OPENED

    results = await asyncio.gather(*(one() for _ in range(40)))

    assert sum(results) == 1_000 // 70
    async with session_factory() as session:
        balance = await _usd(session, user_id)
    assert (balance.available, balance.pending) == (1_000 % 70, 70 * (1_000 // 70))


async def test_pending_deposit_announce_complete_and_revert(
    session: AsyncSession, user_id: str
) -> None:
    await open_wallet(session, user_id)
    deposits = SqlaPendingDeposits(session=session)
    ledger = SqlaLedger(session=session)
    entries = []
    for amount in (500, 200):
        entry = new_deposit(
            id=ids.new_id(),
            user_id=user_id,
            money=Money(amount, "USD"),
            reference=None,
            at=clock.now(),
            pending=True,
        )
        await deposits.announce(user_id, entry.money)
        await ledger.append(entry)
        entries.append(entry)
    await session.commit()
    assert await _usd(session, user_id) == Balance(
        currency="USD", available=0, pending=0, pending_credit=700
    )

    for entry, status, event_type in (
        (entries[0], TransactionStatus.COMPLETED, EventType.DEPOSIT_COMPLETED),
        (entries[1], TransactionStatus.REVERTED, EventType.DEPOSIT_REVERTED),
    ):
        locked = await deposits.lock(user_id, entry.id)
        assert locked == entry
        settled = locked.settle_deposit(status, clock.now())
        await deposits.settle(
            settled, event_for(event_type, settled, event_id=ids.new_id(), at=clock.now())
        )
    await session.commit()

    assert await _usd(session, user_id) == Balance(currency="USD", available=500, pending=0)
    with pytest.raises(DBAPIError, match="immutable"):
        await session.execute(
            text("UPDATE transactions SET status = 'REVERTED' WHERE id = :t"), {"t": entries[0].id}
        )
    await session.rollback()


async def test_a_pending_credit_that_would_not_fit_is_refused(
    session: AsyncSession, user_id: str
) -> None:
    await open_wallet(session, user_id)
    balances = SqlaWalletBalances(session=session)
    await balances.credit(user_id, Money(MAX_AMOUNT - 10, "USD"))
    deposits = SqlaPendingDeposits(session=session)
    await deposits.announce(user_id, Money(10, "USD"))

    with pytest.raises(ValidationError):
        async with session.begin_nested():
            await deposits.announce(user_id, Money(1, "USD"))
    with pytest.raises(ValidationError):
        async with session.begin_nested():
            await balances.credit(user_id, Money(1, "USD"))  # pending credits count too
