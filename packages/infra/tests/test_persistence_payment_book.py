"""AsyncpgPaymentBook against PostgreSQL: a payment's two writes, each one statement.

`open`: every outcome and exactly what it writes, autocommit vs joining an open transaction,
one key raced by many requests, one balance raced by more payments than it affords.
`settle`: approved, refunded, already settled (nothing written), a settle race, and the
constraint errors it translates. What was written is always read back on a connection of
its own, so "committed" means visible to everyone else.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack
from dataclasses import replace
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from wallet_domain.errors import IdempotencyInProgress, ProviderNotFound, ValidationError
from wallet_domain.model.events import SCHEMA_VERSION, DomainEvent
from wallet_domain.model.idempotency import IdempotencyState, StoredResponse
from wallet_domain.model.transaction import IllegalTransition, LedgerEntry, TransactionStatus
from wallet_domain.model.wallet import Balance
from wallet_domain.money import MAX_AMOUNT, Money
from wallet_domain.ports.payment_book import Opening, OpenOutcome
from wallet_infra.persistence.driver import CONNECTION_LOST
from wallet_infra.persistence.engine import make_engine, make_session_factory
from wallet_infra.persistence.idempotency_store import SqlaIdempotencyStore
from wallet_infra.persistence.ledger import SqlaLedger
from wallet_infra.persistence.payment_book import AsyncpgPaymentBook
from wallet_infra.persistence.wallet_balances import SqlaWalletBalances
from wallet_testkit.db import fetch
from wallet_testkit.polling import eventually

from .payment_kit import (
    REFUSAL,
    REPLY,
    TRACEPARENT,
    approve_leftovers,
    book,
    claim_for,
    committed,
    created_event,
    deposit,
    funded_wallet,
    ids,
    open_entry,
    open_payment,
    payment,
    settle,
    settlement_of,
)

WAIT_S = 15.0


@pytest_asyncio.fixture(loop_scope="session", autouse=True)
async def no_pending_left(
    session_factory: async_sessionmaker[AsyncSession], user_id: str
) -> AsyncIterator[None]:
    yield
    await approve_leftovers(session_factory, user_id)


async def written(database_url: str, user_id: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row the book may write for `user_id`, as committed (another connection)."""
    queries = {
        "balances": "SELECT currency, balance FROM wallet_balances WHERE user_id = $1"
        " ORDER BY currency",
        "ledger": "SELECT id, type, status, amount, currency, refund_of, updated_at"
        " FROM transactions WHERE user_id = $1 ORDER BY id",
        "keys": "SELECT key, state, payment_id, response_status, response_body, completed_at"
        " FROM idempotency_keys WHERE user_id = $1 ORDER BY key",
        "outbox": "SELECT event_id, event_type, aggregate_id, occurred_at, schema_version,"
        " payload, traceparent FROM outbox WHERE user_id = $1 ORDER BY event_id",
    }
    return {
        table: [tuple(row) for row in await fetch(database_url, query, user_id)]
        for table, query in queries.items()
    }


async def key_row(database_url: str, user_id: str, key: str) -> Any:
    [row] = await fetch(
        database_url,
        "SELECT state, payment_id, response_status, response_body, completed_at"
        " FROM idempotency_keys WHERE user_id = $1 AND key = $2",
        user_id,
        key,
    )
    return row


async def outbox_rows(database_url: str, aggregate_id: Any) -> list[Any]:
    return await fetch(
        database_url,
        "SELECT event_id, event_type, aggregate_id, user_id, occurred_at, schema_version,"
        " payload, traceparent FROM outbox WHERE aggregate_id = $1 ORDER BY event_id",
        aggregate_id,
    )


def assert_is_event(row: Any, event: DomainEvent) -> None:
    assert (row["event_id"], row["event_type"], row["aggregate_id"], row["user_id"]) == (
        event.event_id,
        event.event_type.value,
        event.aggregate_id,
        event.user_id,
    )
    assert row["occurred_at"] == event.occurred_at
    assert row["schema_version"] == SCHEMA_VERSION
    assert json.loads(row["payload"]) == event.payload
    assert row["traceparent"] == TRACEPARENT


async def pending_payment(
    session_factory: async_sessionmaker[AsyncSession], user_id: str
) -> LedgerEntry:
    """A wallet funded with 1_000 USD, and a payment of 300 USD under key "k1", committed
    and PENDING."""
    await funded_wallet(session_factory, user_id, Money(1_000, "USD"))
    async with session_factory() as session:
        entry = await open_payment(session, user_id, Money(300, "USD"), key="k1")
        await session.commit()
    return entry


async def balances(session_factory: async_sessionmaker[AsyncSession], user_id: str) -> Any:
    async with session_factory() as session:
        return (await SqlaWalletBalances(session=session).read(user_id)).balances


async def ledger_sum(database_url: str, user_id: str, currency: str) -> int:
    [row] = await fetch(
        database_url,
        "SELECT COALESCE(SUM(amount), 0) AS total FROM transactions"
        " WHERE user_id = $1 AND currency = $2",
        user_id,
        currency,
    )
    return int(row["total"])


async def backend_pid(session: AsyncSession) -> int:
    """The server process behind `session`'s connection (asks the driver, not the server).
    The session's transaction has begun: the book's statements then join it."""
    raw = await (await session.connection()).get_raw_connection()
    assert raw.driver_connection is not None
    pid: int = raw.driver_connection.get_server_pid()
    return pid


async def wait_until_blocked(database_url: str, pids: Sequence[int]) -> None:
    """Poll until every one of `pids` waits on a lock."""

    async def all_blocked() -> bool:
        [row] = await fetch(
            database_url,
            "SELECT count(*) AS n FROM pg_stat_activity"
            " WHERE pid = ANY($1::int[]) AND wait_event_type = 'Lock'",
            list(pids),
        )
        return int(row["n"]) == len(pids)

    await eventually(all_blocked, timeout_s=WAIT_S)


# --------------------------------------------------------------------------- open


async def test_open_debits_claims_and_writes_the_payment_and_its_event(
    session_factory: async_sessionmaker[AsyncSession], database_url: str, user_id: str
) -> None:
    await funded_wallet(session_factory, user_id, Money(1_000, "USD"))
    entry = payment(user_id, Money(300, "USD"))
    claim = claim_for(entry, "k1")
    created = created_event(entry)

    async with session_factory() as session:
        opening = await book(session).open(entry, claim, created, REFUSAL)
        await session.commit()

    assert opening == Opening(OpenOutcome.DEBITED)
    key = await key_row(database_url, user_id, "k1")
    assert (key["state"], key["payment_id"], key["response_status"]) == (
        "IN_PROGRESS",
        entry.id,
        None,
    )
    assert await balances(session_factory, user_id) == [
        Balance(currency="USD", available=700, pending=300)
    ]
    async with session_factory() as session:
        assert await SqlaLedger(session=session).get(user_id, entry.id) == entry
    [row] = await outbox_rows(database_url, entry.id)
    assert_is_event(row, created)
    assert await ledger_sum(database_url, user_id, "USD") == 700


@pytest.mark.parametrize(
    ("funds", "asked"),
    [(Money(100, "USD"), Money(101, "USD")), (Money(100, "USD"), Money(1, "EUR"))],
    ids=["balance-too-small", "currency-never-held"],
)
async def test_open_not_covered_stores_the_refusal_and_changes_nothing_else(
    session_factory: async_sessionmaker[AsyncSession],
    database_url: str,
    user_id: str,
    funds: Money,
    asked: Money,
) -> None:
    await funded_wallet(session_factory, user_id, funds)
    before = await written(database_url, user_id)
    entry = payment(user_id, asked)

    async with session_factory() as session:
        opening = await open_entry(session, entry, "k1")
        await session.commit()

    assert opening == Opening(OpenOutcome.REFUSED)
    after = await written(database_url, user_id)
    assert {table: after[table] for table in ("balances", "ledger", "outbox")} == {
        table: before[table] for table in ("balances", "ledger", "outbox")
    }
    key = await key_row(database_url, user_id, "k1")
    assert (key["state"], key["payment_id"], key["response_status"]) == (
        "COMPLETED",
        entry.id,
        REFUSAL.status_code,
    )
    assert bytes(key["response_body"]) == REFUSAL.body
    assert key["completed_at"] == entry.created_at

    again = payment(user_id, asked)
    async with session_factory() as session:
        replay = await open_entry(session, again, "k1")
    assert replay.outcome is OpenOutcome.HELD
    assert replay.holder is not None
    assert (replay.holder.state, replay.holder.response, replay.holder.payment_id) == (
        IdempotencyState.COMPLETED,
        REFUSAL,
        entry.id,
    )
    assert await written(database_url, user_id) == after


async def test_a_replay_does_not_wait_for_the_balance_lock(
    session_factory: async_sessionmaker[AsyncSession], user_id: str
) -> None:
    """A key the snapshot already holds is answered without locking the balance row, so a
    replay is not queued behind the wallet's in-flight payments."""
    first = await pending_payment(session_factory, user_id)
    again = payment(user_id, Money(300, "USD"))
    async with session_factory() as locker, session_factory() as replayer:
        await locker.execute(
            text("SELECT balance FROM wallet_balances WHERE user_id = :u FOR UPDATE"),
            {"u": user_id},
        )
        opening = await asyncio.wait_for(
            open_entry(replayer, again, "k1"),
            timeout=WAIT_S,
        )
        await locker.rollback()
    assert opening == Opening(OpenOutcome.HELD, holder=claim_for(first, "k1"))


@pytest.mark.parametrize("status", [TransactionStatus.APPROVED, TransactionStatus.DECLINED])
async def test_a_settlement_locks_the_balance_before_the_key(
    session_factory: async_sessionmaker[AsyncSession],
    database_url: str,
    user_id: str,
    status: TransactionStatus,
) -> None:
    """The same order as `open` (balance, then key): a copy of the request that holds the
    balance row and waits for the key must find the key free, or the two deadlock and
    PostgreSQL aborts one of them (it was the settlement, a 500 and a stuck payment)."""
    entry = await pending_payment(session_factory, user_id)
    async with session_factory() as copy, session_factory() as settler:
        await copy.execute(
            text("SELECT balance FROM wallet_balances WHERE user_id = :u FOR UPDATE"),
            {"u": user_id},
        )
        settling = asyncio.create_task(book(settler).settle(settlement_of(entry, status)))
        copy_pid = await backend_pid(copy)

        async def settlement_waits_on_the_copy() -> bool:
            [row] = await fetch(
                database_url,
                "SELECT count(*) AS n FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))",
                copy_pid,
            )
            return bool(row["n"])

        await eventually(settlement_waits_on_the_copy, timeout_s=WAIT_S)
        # The key is still free: the copy's claim would not wait on the settlement.
        await copy.execute(
            text(
                "SELECT 1 FROM idempotency_keys WHERE user_id = :u AND key = 'k1' FOR UPDATE NOWAIT"
            ),
            {"u": user_id},
        )
        await copy.rollback()
        assert await asyncio.wait_for(settling, timeout=WAIT_S)
    assert (await key_row(database_url, user_id, "k1"))["state"] == "COMPLETED"


async def test_open_on_a_held_key_returns_the_holder_and_writes_nothing(
    session_factory: async_sessionmaker[AsyncSession], database_url: str, user_id: str
) -> None:
    first = await pending_payment(session_factory, user_id)
    before = await written(database_url, user_id)
    second = payment(user_id, Money(300, "USD"))

    async with session_factory() as session:
        opening = await open_entry(session, second, "k1")
        await session.commit()

    assert opening == Opening(OpenOutcome.HELD, holder=claim_for(first, "k1"))
    assert await written(database_url, user_id) == before


async def test_open_for_an_unknown_wallet_writes_nothing(
    session_factory: async_sessionmaker[AsyncSession], database_url: str, user_id: str
) -> None:
    entry = payment(user_id, Money(1, "USD"))

    async with session_factory() as session:
        opening = await open_entry(session, entry, "k1")
        await session.commit()

    assert opening == Opening(OpenOutcome.NO_WALLET)
    assert await written(database_url, user_id) == {
        "balances": [],
        "ledger": [],
        "keys": [],
        "outbox": [],
    }


async def test_open_with_no_transaction_open_commits_on_its_own(
    session_factory: async_sessionmaker[AsyncSession], database_url: str, user_id: str
) -> None:
    await funded_wallet(session_factory, user_id, Money(1_000, "USD"))
    before = await written(database_url, user_id)

    async with session_factory() as session:
        entry = await open_payment(session, user_id, Money(300, "USD"), key="k1")
        visible = await written(database_url, user_id)  # before any commit
        await session.rollback()

    assert len(visible["ledger"]) == len(before["ledger"]) + 1
    assert visible["balances"] == [("USD", 700)]
    assert [(k[0], k[1], k[2]) for k in visible["keys"]] == [("k1", "IN_PROGRESS", entry.id)]
    assert [(e[1], e[2]) for e in visible["outbox"]] == [("payment.created", entry.id)]
    assert await written(database_url, user_id) == visible, "a rollback cannot undo it"


async def test_open_joins_an_open_transaction_and_rolls_back_with_it(
    session_factory: async_sessionmaker[AsyncSession], database_url: str, user_id: str
) -> None:
    await funded_wallet(session_factory, user_id, Money(1_000, "USD"))
    before = await written(database_url, user_id)

    async with session_factory() as session:
        await session.execute(text("SELECT 1"))  # the session's transaction is open
        await open_payment(session, user_id, Money(300, "USD"), key="k1")
        assert await written(database_url, user_id) == before, "not visible before commit"
        await session.rollback()

    assert await written(database_url, user_id) == before
    async with session_factory() as session:  # the key is free again
        await open_payment(session, user_id, Money(300, "USD"), key="k1")
    assert (await written(database_url, user_id))["balances"] == [("USD", 700)]


@pytest.mark.parametrize("first_commits", [True, False], ids=["first-commits", "first-rolls-back"])
async def test_twenty_concurrent_opens_of_one_key_debit_once(
    session_factory: async_sessionmaker[AsyncSession],
    database_url: str,
    user_id: str,
    first_commits: bool,
) -> None:
    await funded_wallet(session_factory, user_id, Money(1_000, "USD"))
    entries = [payment(user_id, Money(100, "USD")) for _ in range(20)]
    async with AsyncExitStack() as stack:
        sessions = [await stack.enter_async_context(session_factory()) for _ in entries]
        first, others = sessions[0], sessions[1:]
        await first.execute(text("SELECT 1"))  # holds its claim and the balance lock open
        opened = await open_entry(first, entries[0], "same")
        assert opened.outcome is OpenOutcome.DEBITED
        pids = [await backend_pid(s) for s in others]
        racing = [
            asyncio.create_task(committed(s, open_entry(s, e, "same")))
            for s, e in zip(others, entries[1:], strict=True)
        ]
        await wait_until_blocked(database_url, pids)
        await (first.commit() if first_commits else first.rollback())
        openings = await asyncio.gather(*racing)

    debited = [
        e for e, o in zip(entries[1:], openings, strict=True) if o.outcome is OpenOutcome.DEBITED
    ]
    winner = entries[0] if first_commits else debited[0]
    assert len(debited) == (0 if first_commits else 1)
    held = [o for o in openings if o.outcome is OpenOutcome.HELD]
    assert len(held) == 19 - len(debited)
    assert {o.holder for o in held} == {claim_for(winner, "same")}
    state = await written(database_url, user_id)
    assert state["balances"] == [("USD", 900)]
    assert [row[0] for row in state["ledger"] if row[1] == "PAYMENT"] == [winner.id]
    assert [(row[1], row[2]) for row in state["outbox"]] == [("payment.created", winner.id)]
    assert await ledger_sum(database_url, user_id, "USD") == 900


async def test_concurrent_opens_debit_only_what_the_balance_covers(
    session_factory: async_sessionmaker[AsyncSession], database_url: str, user_id: str
) -> None:
    initial, amount, attempts = 1_000, 30, 40
    await funded_wallet(session_factory, user_id, Money(initial, "USD"))
    entries = [payment(user_id, Money(amount, "USD")) for _ in range(attempts)]
    async with AsyncExitStack() as stack:
        gate = await stack.enter_async_context(session_factory())
        await gate.execute(
            text("SELECT 1 FROM wallet_balances WHERE user_id = :u FOR UPDATE"), {"u": user_id}
        )
        sessions = [await stack.enter_async_context(session_factory()) for _ in entries]
        pids = [await backend_pid(s) for s in sessions]
        racing = [
            asyncio.create_task(committed(s, open_entry(s, e)))
            for s, e in zip(sessions, entries, strict=True)
        ]
        await wait_until_blocked(database_url, pids)  # every one queued on the balance
        await gate.rollback()
        openings = await asyncio.gather(*racing)

    outcomes = [o.outcome for o in openings]
    affordable = initial // amount
    assert outcomes.count(OpenOutcome.DEBITED) == affordable
    assert outcomes.count(OpenOutcome.REFUSED) == attempts - affordable
    [balance] = await balances(session_factory, user_id)
    assert balance.available == initial - affordable * amount >= 0
    assert balance.pending == affordable * amount
    assert await ledger_sum(database_url, user_id, "USD") == balance.available
    state = await written(database_url, user_id)
    assert len(state["outbox"]) == affordable
    refused = [k for k in state["keys"] if k[1] == "COMPLETED"]
    assert len(refused) == attempts - affordable
    assert all((k[3], bytes(k[4])) == (REFUSAL.status_code, REFUSAL.body) for k in refused)


async def test_a_payment_covered_by_a_deposit_committed_while_it_waited_is_debited(
    session_factory: async_sessionmaker[AsyncSession], database_url: str, user_id: str
) -> None:
    # The open's snapshot sees 10; by the time it holds the lock the balance is 60.
    await funded_wallet(session_factory, user_id, Money(10, "USD"))
    entry = payment(user_id, Money(30, "USD"))
    async with session_factory() as depositing, session_factory() as paying:
        await deposit(depositing, user_id, Money(50, "USD"))  # holds the balance row
        pid = await backend_pid(paying)
        opening = asyncio.create_task(committed(paying, open_entry(paying, entry)))
        await wait_until_blocked(database_url, [pid])
        await depositing.commit()
        assert (await opening).outcome is OpenOutcome.DEBITED

    [balance] = await balances(session_factory, user_id)
    assert (balance.available, balance.pending) == (30, 30)
    assert await ledger_sum(database_url, user_id, "USD") == 30


async def test_a_key_reused_by_a_deposit_in_flight_deadlocks_into_in_progress(
    session_factory: async_sessionmaker[AsyncSession], database_url: str, user_id: str
) -> None:
    # A deposit takes the key, then the balance; a payment, the balance, then the key.
    # With one key in both, PostgreSQL breaks the cycle by failing the payment (the first
    # to wait), which must leave nothing behind and answer "in flight".
    await funded_wallet(session_factory, user_id, Money(100, "USD"))
    entry = payment(user_id, Money(30, "USD"))
    claim = claim_for(entry, "shared")
    before = await written(database_url, user_id)
    async with session_factory() as depositing, session_factory() as paying:
        taken = await SqlaIdempotencyStore(session=depositing).claim(
            replace(claim, payment_id=None, fingerprint="d" * 64)
        )
        assert taken is None  # the deposit holds the key, uncommitted
        pid = await backend_pid(paying)
        opening = asyncio.create_task(
            book(paying).open(entry, claim, created_event(entry), REFUSAL)
        )
        await wait_until_blocked(database_url, [pid])  # holds the balance, waits for the key
        crediting = asyncio.create_task(deposit(depositing, user_id, Money(5, "USD")))
        with pytest.raises(IdempotencyInProgress):
            await opening
        await paying.rollback()
        await crediting  # the deposit goes on once the payment is gone
        await depositing.commit()

    after = await written(database_url, user_id)
    assert after["balances"] == [("USD", 105)]
    assert [row[1] for row in after["ledger"]] == [row[1] for row in before["ledger"]] + ["DEPOSIT"]
    assert after["outbox"] == before["outbox"]
    assert [row[:3] for row in after["keys"]] == [("shared", "IN_PROGRESS", None)]


# --------------------------------------------------------------------------- settle


@pytest.mark.parametrize("key_in_progress", [True, False], ids=["key-in-progress", "key-replied"])
async def test_settle_approved_writes_the_status_its_event_and_the_reply(
    session_factory: async_sessionmaker[AsyncSession],
    database_url: str,
    user_id: str,
    key_in_progress: bool,
) -> None:
    await funded_wallet(session_factory, user_id, Money(1_000, "USD"))
    earlier = StoredResponse(504, b'{"resolution":"pending"}')
    async with session_factory() as session:
        entry = await open_payment(session, user_id, Money(300, "USD"), key="k1")
        if not key_in_progress:  # the request already answered "still pending"
            await session.execute(
                text(
                    "UPDATE idempotency_keys SET state = 'COMPLETED', response_status = :s,"
                    " response_body = :b, completed_at = now() WHERE user_id = :u AND key = 'k1'"
                ),
                {"s": earlier.status_code, "b": earlier.body, "u": user_id},
            )
        await session.commit()
    settlement = settlement_of(entry, TransactionStatus.APPROVED, reply=REPLY)

    async with session_factory() as session:
        assert await book(session).settle(settlement) is True
        await session.commit()

    async with session_factory() as session:
        assert await SqlaLedger(session=session).get(user_id, entry.id) == settlement.payment
    created, completed = await outbox_rows(database_url, entry.id)
    assert created["event_type"] == "payment.created"
    [event] = settlement.events
    assert_is_event(completed, event)
    assert await balances(session_factory, user_id) == [
        Balance(currency="USD", available=700, pending=0)
    ]
    key = await key_row(database_url, user_id, "k1")
    stored = REPLY if key_in_progress else earlier
    assert (key["state"], key["response_status"], bytes(key["response_body"])) == (
        "COMPLETED",
        stored.status_code,
        stored.body,
    )


@pytest.mark.parametrize("status", [TransactionStatus.DECLINED, TransactionStatus.FAILED])
async def test_settle_refunded_restores_the_balance_with_a_refund_row(
    session_factory: async_sessionmaker[AsyncSession],
    database_url: str,
    user_id: str,
    status: TransactionStatus,
) -> None:
    entry = await pending_payment(session_factory, user_id)
    settlement = settlement_of(entry, status, reply=REPLY)
    assert settlement.refund is not None

    async with session_factory() as session:  # no transaction open: commits on its own
        assert await book(session).settle(settlement) is True

    async with session_factory() as session:
        ledger = SqlaLedger(session=session)
        assert await ledger.get(user_id, entry.id) == settlement.payment
        refund = await ledger.get(user_id, settlement.refund.id)
    assert refund == settlement.refund
    assert refund.refund_of == entry.id
    assert await balances(session_factory, user_id) == [
        Balance(currency="USD", available=1_000, pending=0)
    ]
    assert await ledger_sum(database_url, user_id, "USD") == 1_000
    rows = await outbox_rows(database_url, entry.id)
    assert [r["event_type"] for r in rows] == [
        "payment.created",
        "refund.created",
        "payment.failed",
    ]
    for row, event in zip(rows[1:], settlement.events, strict=True):
        assert_is_event(row, event)
    key = await key_row(database_url, user_id, "k1")
    assert (key["state"], bytes(key["response_body"])) == ("COMPLETED", REPLY.body)


async def test_settle_of_a_payment_no_longer_pending_writes_nothing(
    session_factory: async_sessionmaker[AsyncSession], database_url: str, user_id: str
) -> None:
    entry = await pending_payment(session_factory, user_id)
    async with session_factory() as session:
        await settle(session, entry, TransactionStatus.DECLINED)
        await session.commit()
    before = await written(database_url, user_id)
    never_opened = payment(user_id, Money(1, "USD"))

    async with session_factory() as session:
        for status in (
            TransactionStatus.APPROVED,
            TransactionStatus.DECLINED,
            TransactionStatus.FAILED,
        ):
            assert await book(session).settle(settlement_of(entry, status)) is False
        assert (
            await book(session).settle(settlement_of(never_opened, TransactionStatus.FAILED))
            is False
        )
        await session.commit()

    assert await written(database_url, user_id) == before


async def test_settle_joins_an_open_transaction_and_rolls_back_with_it(
    session_factory: async_sessionmaker[AsyncSession], database_url: str, user_id: str
) -> None:
    entry = await pending_payment(session_factory, user_id)
    before = await written(database_url, user_id)

    async with session_factory() as session:
        await session.execute(text("SELECT 1"))
        assert await book(session).settle(settlement_of(entry, TransactionStatus.FAILED))
        assert await written(database_url, user_id) == before, "not visible before commit"
        await session.rollback()

    assert await written(database_url, user_id) == before
    async with session_factory() as session:
        assert await book(session).settle(settlement_of(entry, TransactionStatus.APPROVED))
    assert await balances(session_factory, user_id) == [
        Balance(currency="USD", available=700, pending=0)
    ]


async def test_two_concurrent_settles_of_one_payment_settle_it_once(
    session_factory: async_sessionmaker[AsyncSession], database_url: str, user_id: str
) -> None:
    entry = await pending_payment(session_factory, user_id)
    settlements = [
        settlement_of(entry, TransactionStatus.APPROVED),
        settlement_of(entry, TransactionStatus.FAILED),
    ]
    async with AsyncExitStack() as stack:
        gate = await stack.enter_async_context(session_factory())
        await gate.execute(
            text("SELECT 1 FROM transactions WHERE id = :id FOR UPDATE"), {"id": entry.id}
        )
        sessions = [await stack.enter_async_context(session_factory()) for _ in settlements]
        pids = [await backend_pid(s) for s in sessions]
        racing = [
            asyncio.create_task(committed(s, book(s).settle(st)))
            for s, st in zip(sessions, settlements, strict=True)
        ]
        await wait_until_blocked(database_url, pids)
        await gate.rollback()
        results = await asyncio.gather(*racing)

    assert sorted(results) == [False, True]
    winner = settlements[results.index(True)]
    async with session_factory() as session:
        assert await SqlaLedger(session=session).get(user_id, entry.id) == winner.payment
    refunded = winner.refund is not None
    state = await written(database_url, user_id)
    assert len([row for row in state["ledger"] if row[1] == "REFUND"]) == (1 if refunded else 0)
    assert len(state["outbox"]) == 1 + len(winner.events)
    [balance] = await balances(session_factory, user_id)
    assert balance.available == (1_000 if refunded else 700)
    assert await ledger_sum(database_url, user_id, "USD") == balance.available


# --------------------------------------------------------------------------- errors


async def test_a_second_refund_of_a_payment_is_an_illegal_transition(
    session_factory: async_sessionmaker[AsyncSession], database_url: str, user_id: str
) -> None:
    await funded_wallet(session_factory, user_id, Money(1_000, "USD"))
    async with session_factory() as session:
        refunded = await open_payment(session, user_id, Money(100, "USD"))
        await settle(session, refunded, TransactionStatus.FAILED)
        pending = await open_payment(session, user_id, Money(200, "USD"))
        await session.commit()
    before = await written(database_url, user_id)
    settlement = settlement_of(pending, TransactionStatus.FAILED)
    assert settlement.refund is not None
    # A refund that names the payment already refunded: the ledger's refund-once constraint.
    twice = replace(settlement, refund=replace(settlement.refund, refund_of=refunded.id))

    async with session_factory() as session:
        with pytest.raises(IllegalTransition, match=f"payment {refunded.id} is already refunded"):
            await book(session).settle(twice)

    assert await written(database_url, user_id) == before, "all or nothing"


async def test_open_translates_an_unknown_provider_and_writes_nothing(
    session_factory: async_sessionmaker[AsyncSession], database_url: str, user_id: str
) -> None:
    await funded_wallet(session_factory, user_id, Money(1_000, "USD"))
    before = await written(database_url, user_id)
    unknown = ids.new_id()
    entry = payment(user_id, Money(1, "USD"), provider_id=unknown)

    async with session_factory() as session:
        with pytest.raises(ProviderNotFound) as raised:
            await open_entry(session, entry, "k1")

    assert raised.value.details == {"provider_id": str(unknown)}
    assert await written(database_url, user_id) == before, "the key stays free"


async def test_held_money_always_comes_back_a_deposit_that_leaves_no_room_is_refused(
    session_factory: async_sessionmaker[AsyncSession], database_url: str, user_id: str
) -> None:
    # A wallet at the largest balance pays 1_000 (PENDING): the deposit of 1_000 meanwhile
    # would leave no room for the refund, so it is refused and writes nothing.
    await funded_wallet(session_factory, user_id, Money(MAX_AMOUNT, "USD"))
    async with session_factory() as session:
        entry = await open_payment(session, user_id, Money(1_000, "USD"))
        await session.commit()
    before = await written(database_url, user_id)

    async with session_factory() as session:
        with pytest.raises(ValidationError) as raised:
            await deposit(session, user_id, Money(1_000, "USD"))
    assert raised.value.details == {"field": "amount"}
    assert await written(database_url, user_id) == before

    async with session_factory() as session:
        assert await book(session).settle(settlement_of(entry, TransactionStatus.DECLINED))
    assert await balances(session_factory, user_id) == [
        Balance(currency="USD", available=MAX_AMOUNT, pending=0)
    ]
    assert await ledger_sum(database_url, user_id, "USD") == MAX_AMOUNT


@pytest.mark.parametrize(
    ("status", "available"),
    [(TransactionStatus.APPROVED, 700), (TransactionStatus.DECLINED, 1_000)],
)
async def test_pending_debit_holds_exactly_what_pending_payments_debited(
    session_factory: async_sessionmaker[AsyncSession],
    database_url: str,
    user_id: str,
    status: TransactionStatus,
    available: int,
) -> None:
    await funded_wallet(session_factory, user_id, Money(1_000, "USD"))
    async with session_factory() as session:
        first = await open_payment(session, user_id, Money(300, "USD"))
        await open_payment(session, user_id, Money(200, "USD"))
        await session.commit()
    assert await balances(session_factory, user_id) == [
        Balance(currency="USD", available=500, pending=500)
    ]

    async with session_factory() as session:
        assert await book(session).settle(settlement_of(first, status))

    assert await balances(session_factory, user_id) == [
        Balance(currency="USD", available=available - 200, pending=200)
    ]
    [row] = await fetch(
        database_url,
        "SELECT -COALESCE(SUM(amount), 0) AS held FROM transactions"
        " WHERE user_id = $1 AND type = 'PAYMENT' AND status = 'PENDING'",
        user_id,
    )
    assert row["held"] == 200


async def test_a_connection_the_server_dropped_is_not_pooled_again(
    database_url: str, user_id: str
) -> None:
    # One pooled connection, so "the next checkout" can only be that one or a new one.
    engine = make_engine(database_url, pool_size=1, max_overflow=0)
    factory = make_session_factory(engine)
    try:
        await funded_wallet(factory, user_id, Money(100, "USD"))
        async with factory() as session:
            pid = (await session.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        await fetch(database_url, "SELECT pg_terminate_backend($1)", pid)

        async with factory() as session:
            with pytest.raises(CONNECTION_LOST):
                await open_payment(session, user_id, Money(10, "USD"))
        async with factory() as session:
            await open_payment(session, user_id, Money(10, "USD"))
    finally:
        await engine.dispose()
    rows = await fetch(
        database_url, "SELECT balance FROM wallet_balances WHERE user_id = $1", user_id
    )
    assert [tuple(row) for row in rows] == [(90,)]


# --------------------------------------------------------------------------- on the engine


async def test_a_book_on_the_engine_commits_each_write_on_its_own(
    session_factory: async_sessionmaker[AsyncSession],
    engine: AsyncEngine,
    database_url: str,
    user_id: str,
) -> None:
    """Built on the engine (the unconditional payment's book): no session at all, each
    write its own transaction on the pool, committed when the call returns."""
    await funded_wallet(session_factory, user_id, Money(1_000, "USD"))
    pooled = AsyncpgPaymentBook(db=engine)
    entry = payment(user_id, Money(300, "USD"))

    opening = await pooled.open(entry, claim_for(entry, "k1"), created_event(entry), REFUSAL)

    assert opening.outcome is OpenOutcome.DEBITED
    opened = await written(database_url, user_id)
    assert opened["balances"] == [("USD", 700)]
    assert [k[:2] for k in opened["keys"]] == [("k1", "IN_PROGRESS")]
    settlement = settlement_of(entry, TransactionStatus.APPROVED)
    assert await pooled.settle(settlement) is True
    settled = await written(database_url, user_id)
    assert [k[:2] for k in settled["keys"]] == [("k1", "COMPLETED")]
    assert [row[2] for row in settled["ledger"] if row[0] == entry.id] == ["APPROVED"]
