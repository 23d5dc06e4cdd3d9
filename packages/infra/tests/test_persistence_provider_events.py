"""Provider events on the real PostgreSQL: the payment lock, provider refunds bounded by the
database, and the provider event log that makes each event apply once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from uuid import uuid4

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from wallet_domain.model.events import EventType, event_for
from wallet_domain.model.provider_event import ProviderEventOutcome
from wallet_domain.model.transaction import (
    IllegalTransition,
    LedgerEntry,
    TransactionStatus,
    new_provider_refund,
    new_redebit,
)
from wallet_domain.money import Money
from wallet_infra.persistence.ledger_queries import INSERT_ENTRY, entry_row
from wallet_infra.persistence.provider_event_log import AsyncpgProviderEventLog
from wallet_infra.persistence.provider_payments import SqlaProviderPayments
from wallet_testkit.db import fetch

from .payment_kit import (
    TRACEPARENT,
    clock,
    funded_wallet,
    ids,
    open_payment,
    settle,
)
from .test_persistence_payment_book import (
    backend_pid,
    ledger_sum,
    no_pending_left,  # noqa: F401 - autouse: approve what a test left PENDING
    wait_until_blocked,
)

AMOUNT = 1_000


def payments(session: AsyncSession) -> SqlaProviderPayments:
    return SqlaProviderPayments(session=session, traceparent_provider=lambda: TRACEPARENT)


async def _payment(
    session_factory: async_sessionmaker[AsyncSession],
    user_id: str,
    status: TransactionStatus | None = TransactionStatus.APPROVED,
) -> LedgerEntry:
    """A payment of AMOUNT USD from a wallet funded with 10x that, settled as `status`."""
    await funded_wallet(session_factory, user_id, Money(10 * AMOUNT, "USD"))
    async with session_factory() as session:
        pending = await open_payment(session, user_id, Money(AMOUNT, "USD"))
        if status is None:
            return pending
        settled = await settle(session, pending, status)
        await session.commit()
        return settled.payment


async def _refund(session: AsyncSession, payment: LedgerEntry, amount: int) -> LedgerEntry:
    refund = new_provider_refund(id=ids.new_id(), payment=payment, amount=amount, at=clock.now())
    created = event_for(EventType.REFUND_CREATED, refund, event_id=ids.new_id(), at=clock.now())
    await payments(session).refund(refund, created)
    return refund


async def _committed_refunds(
    session_factory: async_sessionmaker[AsyncSession], payment: LedgerEntry, *amounts: int
) -> list[LedgerEntry]:
    """Provider refunds of `payment` for `amounts`, committed together."""
    async with session_factory() as session:
        refunds = [await _refund(session, payment, amount) for amount in amounts]
        await session.commit()
    return refunds


async def test_lock_finds_a_payment_by_id_alone_with_its_refunded_total(
    session_factory: async_sessionmaker[AsyncSession], user_id: str
) -> None:
    payment = await _payment(session_factory, user_id)
    await _committed_refunds(session_factory, payment, 300)
    async with session_factory() as session:
        found = await payments(session).lock(payment.id)
        assert found is not None
        assert found.payment.id == payment.id
        assert found.payment.status is TransactionStatus.APPROVED
        assert found.refunded == 300
        assert await payments(session).lock(uuid4()) is None


async def test_lock_finds_no_payment_behind_another_kind_of_row(
    session_factory: async_sessionmaker[AsyncSession], database_url: str, user_id: str
) -> None:
    await funded_wallet(session_factory, user_id, Money(5, "USD"))
    [deposit] = await fetch(database_url, "SELECT id FROM transactions WHERE user_id = $1", user_id)
    async with session_factory() as session:
        assert await payments(session).lock(deposit["id"]) is None


async def test_a_refund_credits_the_wallet_with_a_ledger_row_and_its_event(
    session_factory: async_sessionmaker[AsyncSession], database_url: str, user_id: str
) -> None:
    payment = await _payment(session_factory, user_id)
    [refund] = await _committed_refunds(session_factory, payment, 400)

    [row] = await fetch(
        database_url,
        "SELECT type, status, amount, refund_of, provider_refund_of FROM transactions"
        " WHERE id = $1",
        refund.id,
    )
    assert dict(row) == {
        "type": "PROVIDER_REFUND",
        "status": "COMPLETED",
        "amount": 400,
        "refund_of": None,
        "provider_refund_of": payment.id,
    }
    [paid] = await fetch(
        database_url, "SELECT refunded_amount FROM transactions WHERE id = $1", payment.id
    )
    assert paid["refunded_amount"] == 400
    [event] = await fetch(
        database_url,
        "SELECT event_type, aggregate_id FROM outbox WHERE aggregate_id = $1"
        " AND event_type = 'refund.created'",
        payment.id,
    )
    assert event["aggregate_id"] == payment.id
    [balance] = await fetch(
        database_url, "SELECT balance FROM wallet_balances WHERE user_id = $1", user_id
    )
    assert balance["balance"] == 10 * AMOUNT - AMOUNT + 400
    assert balance["balance"] == await ledger_sum(database_url, user_id, "USD")


async def test_the_database_refuses_refunds_over_the_payments_amount(
    session_factory: async_sessionmaker[AsyncSession], database_url: str, user_id: str
) -> None:
    payment = await _payment(session_factory, user_id)
    await _committed_refunds(session_factory, payment, 600, 400)
    async with session_factory() as session:
        with pytest.raises(IllegalTransition):
            await _refund(session, payment, 1)
        await session.rollback()
    assert await ledger_sum(database_url, user_id, "USD") == 10 * AMOUNT


@pytest.mark.parametrize(
    ("status", "change"),
    [
        (TransactionStatus.APPROVED, "refunded_amount = -amount + 1"),
        (TransactionStatus.DECLINED, "refunded_amount = 5"),
        (TransactionStatus.FAILED, "refunded_amount = 5"),  # never re-debited
        (TransactionStatus.APPROVED, "refunded_amount = 600, charged_back_amount = -amount - 599"),
        (TransactionStatus.APPROVED, "charged_back_amount = -amount + 1"),
        (TransactionStatus.DECLINED, "charged_back_amount = 5"),
    ],
    ids=[
        "over-the-amount",
        "on-a-declined-payment",
        "on-a-failed-payment",
        "refunds-and-chargebacks-over",
        "chargebacks-over",
        "declined-charged-back",
    ],
)
async def test_no_sql_can_give_back_more_than_was_paid_for_the_charge(
    session_factory: async_sessionmaker[AsyncSession],
    database_url: str,
    user_id: str,
    status: TransactionStatus,
    change: str,
) -> None:
    payment = await _payment(session_factory, user_id, status)
    update = f"UPDATE transactions SET {change} WHERE id = $1"
    # the trigger or the row check, whichever PostgreSQL runs into first
    with pytest.raises(asyncpg.IntegrityConstraintViolationError):
        await fetch(database_url, update, payment.id)


async def test_a_re_debited_payment_takes_refunds_up_to_its_re_debit_only(
    session_factory: async_sessionmaker[AsyncSession], database_url: str, user_id: str
) -> None:
    payment = await _payment(session_factory, user_id, TransactionStatus.FAILED)
    await fetch(
        database_url,
        "INSERT INTO reconciliation_corrections"
        " (payment_id, kind, user_id, amount, currency, reason, created_at)"
        " VALUES ($1, 'FLAG', $2, $3, 'USD', 'look', now())",
        payment.id,
        user_id,
        AMOUNT,
    )
    refund = "UPDATE transactions SET refunded_amount = $2 WHERE id = $1"
    with pytest.raises(asyncpg.IntegrityConstraintViolationError):  # a flag is no re-debit
        await fetch(database_url, refund, payment.id, 1)
    redebit = new_redebit(id=uuid4(), payment=payment, at=datetime.now(UTC))
    async with session_factory() as session:
        await session.execute(INSERT_ENTRY, entry_row(redebit))
        await session.commit()
    await fetch(
        database_url,
        "INSERT INTO reconciliation_corrections"
        " (payment_id, kind, user_id, amount, currency, reason, created_at, transaction_id)"
        " VALUES ($1, 'REDEBIT', $2, $3, 'USD', 'charged', now(), $4)",
        payment.id,
        user_id,
        AMOUNT,
        redebit.id,
    )
    await fetch(database_url, refund, payment.id, AMOUNT)
    with pytest.raises(asyncpg.IntegrityConstraintViolationError):
        await fetch(database_url, refund, payment.id, AMOUNT + 1)


async def test_a_refunded_total_never_shrinks(
    session_factory: async_sessionmaker[AsyncSession], database_url: str, user_id: str
) -> None:
    payment = await _payment(session_factory, user_id)
    await _committed_refunds(session_factory, payment, 500)
    with pytest.raises(asyncpg.IntegrityConstraintViolationError):
        await fetch(
            database_url, "UPDATE transactions SET refunded_amount = 100 WHERE id = $1", payment.id
        )


async def _record(session: AsyncSession, event_id: str) -> bool:
    return await AsyncpgProviderEventLog(session=session).record(
        provider_event_id=event_id,
        event_type="payment.settled",
        subject_id=uuid4(),
        outcome=ProviderEventOutcome.APPLIED,
        created_at=datetime.now(UTC),
    )


async def test_an_event_id_is_recorded_once(
    session_factory: async_sessionmaker[AsyncSession], database_url: str
) -> None:
    event_id = f"evt_{uuid4().hex}"
    async with session_factory() as session:
        assert await _record(session, event_id)
        await session.commit()
    async with session_factory() as session:
        assert not await _record(session, event_id)
    [row] = await fetch(
        database_url,
        "SELECT type, outcome FROM provider_events WHERE provider_event_id = $1",
        event_id,
    )
    assert dict(row) == {"type": "payment.settled", "outcome": "applied"}


async def test_a_concurrent_record_of_the_same_id_waits_for_the_first(
    session_factory: async_sessionmaker[AsyncSession], database_url: str
) -> None:
    event_id = f"evt_{uuid4().hex}"
    async with session_factory() as first, session_factory() as second:
        assert await _record(first, event_id)
        pid = await backend_pid(second)
        waiting = asyncio.create_task(_record(second, event_id))
        await wait_until_blocked(database_url, [pid])
        await first.commit()
        assert not await waiting


async def test_a_record_rolled_back_leaves_the_id_free(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    event_id = f"evt_{uuid4().hex}"
    async with session_factory() as session:
        assert await _record(session, event_id)
        await session.rollback()
    async with session_factory() as session:
        assert await _record(session, event_id)
        await session.commit()


@pytest.mark.parametrize("outcome", [ProviderEventOutcome.APPLIED, ProviderEventOutcome.REFUSED])
async def test_a_refund_recorded_about_a_payment_is_found_whatever_its_outcome(
    session_factory: async_sessionmaker[AsyncSession], outcome: ProviderEventOutcome
) -> None:
    payment_id, other = uuid4(), uuid4()
    async with session_factory() as session:
        log = AsyncpgProviderEventLog(session=session)
        for event_type, subject in (
            ("payment.refunded", payment_id),
            ("payment.settled", other),  # another type about another payment
        ):
            await log.record(
                provider_event_id=f"evt_{uuid4().hex}",
                event_type=event_type,
                subject_id=subject,
                outcome=outcome,
                created_at=datetime.now(UTC),
            )
        await session.commit()
    async with session_factory() as session:
        log = AsyncpgProviderEventLog(session=session)
        assert await log.refund_recorded(payment_id)
        assert not await log.refund_recorded(other)  # a settlement is not a refund
        assert not await log.refund_recorded(uuid4())


async def test_a_refund_committed_after_the_reader_began_is_found(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    # A re-debit locks the payment, then asks: a refund stored by the webhook it waited
    # for must count, though it committed after the re-debit's transaction began.
    payment_id = uuid4()
    async with session_factory() as reader, session_factory() as writer:
        log = AsyncpgProviderEventLog(session=reader)
        assert not await log.refund_recorded(payment_id)  # the reader's transaction is open
        await AsyncpgProviderEventLog(session=writer).record(
            provider_event_id=f"evt_{uuid4().hex}",
            event_type="payment.refunded",
            subject_id=payment_id,
            outcome=ProviderEventOutcome.REFUSED,
            created_at=datetime.now(UTC),
        )
        await writer.commit()
        assert await log.refund_recorded(payment_id)
