"""Reconciliation corrections on the real PostgreSQL: the database refuses a re-debit of a
payment whose provider refund (`payment.refunded`) is stored, whoever writes it (0036),
and the webhook's refund still comes after a re-debit either way round."""

from __future__ import annotations

import asyncio
from uuid import uuid4

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from wallet_domain.errors import RefundedByProvider
from wallet_domain.model.correction import Correction, CorrectionKind
from wallet_domain.model.events import EventType, event_for
from wallet_domain.model.provider_event import ProviderEventOutcome, ProviderEventType
from wallet_domain.model.transaction import (
    LedgerEntry,
    TransactionStatus,
    new_provider_refund,
    new_redebit,
)
from wallet_domain.money import Money
from wallet_infra.persistence.charge_corrections import SqlaChargeCorrections
from wallet_infra.persistence.ledger import SqlaLedger
from wallet_infra.persistence.provider_event_log import AsyncpgProviderEventLog
from wallet_infra.persistence.provider_payments import SqlaProviderPayments
from wallet_infra.persistence.tables import RECONCILIATION_CORRECTIONS_NOT_REFUNDED_THERE
from wallet_infra.persistence.wallet_balances import SqlaWalletBalances
from wallet_testkit.db import fetch

from .payment_kit import TRACEPARENT, clock, funded_wallet, ids, open_payment, settle
from .test_persistence_payment_book import (
    backend_pid,
    ledger_sum,
    no_pending_left,  # noqa: F401 - autouse: approve what a test left PENDING
    wait_until_blocked,
)

AMOUNT = 300
START = 1_000


async def _failed_payment(
    session_factory: async_sessionmaker[AsyncSession], user_id: str
) -> LedgerEntry:
    """A payment of AMOUNT USD settled FAILED and refunded, from a wallet funded START."""
    await funded_wallet(session_factory, user_id, Money(START, "USD"))
    async with session_factory() as session:
        pending = await open_payment(session, user_id, Money(AMOUNT, "USD"))
        settled = await settle(session, pending, TransactionStatus.FAILED)
        await session.commit()
    return settled.payment


async def _store_refund(
    session: AsyncSession, payment: LedgerEntry, outcome: ProviderEventOutcome
) -> None:
    """The webhook's record of a `payment.refunded` about `payment` (not committed)."""
    assert await AsyncpgProviderEventLog(session=session).record(
        provider_event_id=f"evt_{uuid4().hex}",
        event_type=ProviderEventType.PAYMENT_REFUNDED.value,
        subject_id=payment.id,
        outcome=outcome,
        created_at=clock.now(),
    )


async def _committed_refund(
    session_factory: async_sessionmaker[AsyncSession], payment: LedgerEntry
) -> None:
    """The provider's refund of a payment not re-debited: stored, refused."""
    async with session_factory() as session:
        await _store_refund(session, payment, ProviderEventOutcome.REFUSED)
        await session.commit()


async def _redebit(session: AsyncSession, payment: LedgerEntry) -> bool:
    """A re-debit as a path that skips the use case writes it: the balance debited, the
    REDEBIT ledger row, its correction; no lock taken, no refund looked for."""
    assert await SqlaWalletBalances(session=session).debit_if_covered(
        payment.user_id, payment.money
    )
    entry = new_redebit(id=ids.new_id(), payment=payment, at=clock.now())
    await SqlaLedger(session=session).append(entry)
    return await SqlaChargeCorrections(session=session).record(
        Correction(
            payment_id=payment.id,
            kind=CorrectionKind.REDEBIT,
            user_id=payment.user_id,
            money=payment.money,
            reason="charged by the provider",
            at=clock.now(),
            transaction_id=entry.id,
        )
    )


async def _corrections(database_url: str, payment: LedgerEntry) -> list[str]:
    rows = await fetch(
        database_url,
        "SELECT kind FROM reconciliation_corrections WHERE payment_id = $1 ORDER BY kind",
        payment.id,
    )
    return [row["kind"] for row in rows]


async def _balance(database_url: str, user_id: str) -> int:
    [row] = await fetch(
        database_url, "SELECT balance FROM wallet_balances WHERE user_id = $1", user_id
    )
    return int(row["balance"])


async def _credit_refund(session: AsyncSession, payment: LedgerEntry) -> None:
    """The webhook's applied refund of `payment`: locked, recorded, credited."""
    provider = SqlaProviderPayments(session=session, traceparent_provider=lambda: TRACEPARENT)
    found = await provider.lock(payment.id)
    assert found is not None
    assert found.covers(AMOUNT)  # the re-debit made room for it
    await _store_refund(session, payment, ProviderEventOutcome.APPLIED)
    refund = new_provider_refund(id=ids.new_id(), payment=payment, amount=AMOUNT, at=clock.now())
    created = event_for(EventType.REFUND_CREATED, refund, event_id=ids.new_id(), at=clock.now())
    await provider.refund(refund, created)


async def test_a_re_debit_of_a_payment_the_provider_refunded_is_refused_by_the_database(
    session_factory: async_sessionmaker[AsyncSession], database_url: str, user_id: str
) -> None:
    payment = await _failed_payment(session_factory, user_id)
    await _committed_refund(session_factory, payment)

    async with session_factory() as session:
        with pytest.raises(RefundedByProvider):
            await _redebit(session, payment)
        await session.rollback()

    assert await _corrections(database_url, payment) == []
    assert await _balance(database_url, user_id) == START  # not taken twice
    assert await ledger_sum(database_url, user_id, "USD") == START


async def test_plain_sql_cannot_re_debit_it_either_and_the_refusal_is_named(
    session_factory: async_sessionmaker[AsyncSession], database_url: str, user_id: str
) -> None:
    payment = await _failed_payment(session_factory, user_id)
    await _committed_refund(session_factory, payment)
    [row] = await fetch(
        database_url,
        "SELECT id FROM transactions WHERE type = 'REFUND' AND refund_of = $1",
        payment.id,
    )
    insert = (
        "INSERT INTO reconciliation_corrections"
        " (payment_id, kind, user_id, amount, currency, reason, created_at, transaction_id)"
        " VALUES ($1, $2, $3, $4, 'USD', 'by hand', now(), $5)"
    )

    # Any ledger row will do for the foreign key: the trigger refuses before it is checked.
    with pytest.raises(asyncpg.CheckViolationError) as refused:
        await fetch(database_url, insert, payment.id, "REDEBIT", user_id, AMOUNT, row["id"])
    assert refused.value.constraint_name == RECONCILIATION_CORRECTIONS_NOT_REFUNDED_THERE
    # A flag moves no money: still allowed.
    await fetch(database_url, insert, payment.id, "FLAG", user_id, AMOUNT, None)
    assert await _corrections(database_url, payment) == ["FLAG"]


async def test_a_re_debit_is_allowed_while_no_refund_of_that_payment_is_stored(
    session_factory: async_sessionmaker[AsyncSession], database_url: str, user_id: str
) -> None:
    payment = await _failed_payment(session_factory, user_id)
    async with session_factory() as other:  # another payment's refund, this one's settlement
        await AsyncpgProviderEventLog(session=other).record(
            provider_event_id=f"evt_{uuid4().hex}",
            event_type=ProviderEventType.PAYMENT_REFUNDED.value,
            subject_id=uuid4(),
            outcome=ProviderEventOutcome.REFUSED,
            created_at=clock.now(),
        )
        await AsyncpgProviderEventLog(session=other).record(
            provider_event_id=f"evt_{uuid4().hex}",
            event_type=ProviderEventType.PAYMENT_SETTLED.value,
            subject_id=payment.id,
            outcome=ProviderEventOutcome.CONTRADICTION,
            created_at=clock.now(),
        )
        await other.commit()

    async with session_factory() as session:
        assert await _redebit(session, payment)
        await session.commit()

    assert await _corrections(database_url, payment) == ["REDEBIT"]
    assert await _balance(database_url, user_id) == START - AMOUNT
    assert await ledger_sum(database_url, user_id, "USD") == START - AMOUNT


async def test_a_webhook_holding_the_payment_makes_a_re_debit_wait_then_refuses_it(
    session_factory: async_sessionmaker[AsyncSession], database_url: str, user_id: str
) -> None:
    # The re-debit takes no lock itself: the trigger takes the payment's, so it waits for
    # the webhook's refund to commit, then sees it.
    payment = await _failed_payment(session_factory, user_id)
    async with session_factory() as webhook, session_factory() as redebit:
        provider = SqlaProviderPayments(session=webhook, traceparent_provider=lambda: TRACEPARENT)
        found = await provider.lock(payment.id)
        assert found is not None
        assert not found.covers(AMOUNT)  # not re-debited: refused
        await _store_refund(webhook, payment, ProviderEventOutcome.REFUSED)
        pid = await backend_pid(redebit)
        waiting = asyncio.create_task(_redebit(redebit, payment))
        await wait_until_blocked(database_url, [pid])
        await webhook.commit()
        with pytest.raises(RefundedByProvider):
            await waiting
        await redebit.rollback()

    assert await _corrections(database_url, payment) == []
    assert await _balance(database_url, user_id) == START
    assert await ledger_sum(database_url, user_id, "USD") == START


async def test_a_refund_that_comes_during_a_re_debit_is_credited_after_it(
    session_factory: async_sessionmaker[AsyncSession], database_url: str, user_id: str
) -> None:
    # The other order: the webhook waits for the re-debit's commit, then credits the
    # refund against it; its provider event is no correction, so the trigger never sees it.
    payment = await _failed_payment(session_factory, user_id)
    async with session_factory() as redebit, session_factory() as webhook:
        assert await _redebit(redebit, payment)
        pid = await backend_pid(webhook)
        waiting = asyncio.create_task(_credit_refund(webhook, payment))
        await wait_until_blocked(database_url, [pid])
        await redebit.commit()
        await waiting
        await webhook.commit()

    assert await _balance(database_url, user_id) == START  # re-debited, then refunded
    assert await ledger_sum(database_url, user_id, "USD") == START
    # Recording the same re-debit again is "already done", not a refusal.
    async with session_factory() as session:
        assert not await _redebit(session, payment)
        await session.rollback()
    assert await _corrections(database_url, payment) == ["REDEBIT"]
