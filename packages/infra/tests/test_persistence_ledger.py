"""SqlaLedger against PostgreSQL: append/get, immutability, refunds, pages, stale claims.

Payments are opened and settled through AsyncpgPaymentBook, as the payment flow does."""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, Final
from uuid import UUID

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from wallet_domain.errors import ProviderNotFound, WalletNotFound
from wallet_domain.model.pagination import LedgerFilter, LedgerPosition
from wallet_domain.model.transaction import (
    IllegalTransition,
    LedgerEntry,
    TransactionStatus,
    TransactionType,
    new_deposit,
    new_payment,
    new_refund,
)
from wallet_domain.money import Money
from wallet_infra.persistence.driver import ASYNCPG_DIALECT
from wallet_infra.persistence.errors import INTEGRITY_CONSTRAINT_VIOLATION, sqlstate
from wallet_infra.persistence.ledger import SqlaLedger
from wallet_infra.persistence.ledger_queries import CLAIM_STALE_PENDING
from wallet_infra.persistence.wallet_balances import SqlaWalletBalances

from .payment_kit import (
    clock,
    deposit,
    funded_wallet,
    ids,
    open_payment,
    open_wallet,
    settle,
    wallet_holding,
)

ANCIENT: Final = datetime(1990, 1, 1, tzinfo=UTC)


def plan_nodes(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield node
    for child in node.get("Plans", []):
        yield from plan_nodes(child)


async def pay(session: AsyncSession, user_id: str, money: Money) -> LedgerEntry:
    return await open_payment(session, user_id, money)


async def refund(session: AsyncSession, payment: LedgerEntry) -> LedgerEntry:
    entry = new_refund(id=ids.new_id(), payment=payment, at=clock.now())
    await SqlaWalletBalances(session=session).credit(payment.user_id, payment.money)
    await SqlaLedger(session=session).append(entry)
    return entry


async def test_appended_entries_read_back_equal(session: AsyncSession, user_id: str) -> None:
    await open_wallet(session, user_id)
    made = await deposit(session, user_id, Money(500, "USD"))
    payment = await pay(session, user_id, Money(200, "USD"))
    ledger = SqlaLedger(session=session)
    assert await ledger.get(user_id, payment.id) == payment
    settlement = await settle(session, payment, TransactionStatus.DECLINED)
    assert settlement.refund is not None

    assert await ledger.get(user_id, made.id) == made
    assert await ledger.get(user_id, settlement.refund.id) == settlement.refund
    assert await ledger.get(user_id, payment.id) == settlement.payment
    assert type((await ledger.get(user_id, payment.id)).id) is UUID  # type: ignore[union-attr]
    assert await ledger.get("someone-else", made.id) is None
    assert await ledger.get(user_id, ids.new_id()) is None


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE transactions SET status = 'DECLINED' WHERE id = :id",
        "UPDATE transactions SET amount = -1 WHERE id = :id",
        "DELETE FROM transactions WHERE id = :id",
    ],
)
async def test_the_database_rejects_changing_a_settled_payment(
    session: AsyncSession, user_id: str, statement: str
) -> None:
    await wallet_holding(session, user_id, Money(100, "USD"))
    payment = await pay(session, user_id, Money(100, "USD"))
    await settle(session, payment, TransactionStatus.APPROVED)

    with pytest.raises(DBAPIError) as raised:
        await session.execute(text(statement), {"id": payment.id})

    assert sqlstate(raised.value) == INTEGRITY_CONSTRAINT_VIOLATION


async def test_the_database_rejects_deleting_a_deposit(session: AsyncSession, user_id: str) -> None:
    await open_wallet(session, user_id)
    made = await deposit(session, user_id, Money(100, "USD"))

    with pytest.raises(DBAPIError) as raised:
        await session.execute(text("DELETE FROM transactions WHERE id = :id"), {"id": made.id})

    assert sqlstate(raised.value) == INTEGRITY_CONSTRAINT_VIOLATION


async def test_a_payment_is_refunded_at_most_once(
    session_factory: async_sessionmaker[AsyncSession], user_id: str
) -> None:
    await funded_wallet(session_factory, user_id, Money(100, "USD"))
    async with session_factory() as session:
        payment = await pay(session, user_id, Money(100, "USD"))
        settled = (await settle(session, payment, TransactionStatus.FAILED)).payment
        await session.commit()

    async with session_factory() as session:
        with pytest.raises(IllegalTransition, match="already refunded"):
            await refund(session, settled)


async def test_append_translates_unknown_references(session: AsyncSession, user_id: str) -> None:
    orphan = new_deposit(
        id=ids.new_id(), user_id=user_id, money=Money(1, "USD"), reference=None, at=clock.now()
    )
    with pytest.raises(WalletNotFound):
        await SqlaLedger(session=session).append(orphan)
    await session.rollback()

    await open_wallet(session, user_id)
    unknown_provider = new_payment(
        id=ids.new_id(),
        user_id=user_id,
        money=Money(1, "USD"),
        provider_id=ids.new_id(),
        external_reference="x",
        at=clock.now(),
    )
    with pytest.raises(ProviderNotFound):
        await SqlaLedger(session=session).append(unknown_provider)


async def collect_pages(
    ledger: SqlaLedger, user_id: str, filters: LedgerFilter, *, limit: int
) -> list[list[LedgerEntry]]:
    pages: list[list[LedgerEntry]] = []
    before: LedgerPosition | None = None
    while True:
        page = await ledger.page(user_id, filters, before=before, limit=limit)
        if not page:
            return pages
        pages.append(page)
        before = LedgerPosition.of(page[-1])


async def test_pages_run_newest_first_without_gaps_or_repeats(
    session: AsyncSession, user_id: str
) -> None:
    await open_wallet(session, user_id)
    written: list[LedgerEntry] = []
    for i in range(12):
        written.append(await deposit(session, user_id, Money(100 + i, "USD")))
        written.append(await pay(session, user_id, Money(10, "USD")))
        written.append(await deposit(session, user_id, Money(5, "EUR")))
    ledger = SqlaLedger(session=session)
    written[1] = (await settle(session, written[1], TransactionStatus.APPROVED)).payment

    pages = await collect_pages(ledger, user_id, LedgerFilter(), limit=5)

    assert [len(p) for p in pages] == [5, 5, 5, 5, 5, 5, 5, 1]
    assert [e for p in pages for e in p] == sorted(
        written, key=lambda e: (e.created_at, e.id), reverse=True
    )


async def test_pages_follow_created_at_where_ids_disagree(
    session: AsyncSession, user_id: str
) -> None:
    """Ids made in one order, timestamps taken in another (and two equal): pages follow
    the timestamps, ties by id, whatever the page size."""
    await open_wallet(session, user_id)
    start = clock.now()
    offsets_us = [5, 1, 3, 3, 0, 4]  # by id order, oldest id first
    written = []
    for offset in offsets_us:
        entry = new_deposit(
            id=ids.new_id(),
            user_id=user_id,
            money=Money(1, "USD"),
            reference=None,
            at=start + timedelta(microseconds=offset),
        )
        await SqlaWalletBalances(session=session).credit(user_id, entry.money)
        await SqlaLedger(session=session).append(entry)
        written.append(entry)
    expected = sorted(written, key=lambda e: (e.created_at, e.id), reverse=True)
    assert expected != sorted(written, key=lambda e: e.id, reverse=True)

    for limit in (1, 2, 4, 10):
        pages = await collect_pages(
            SqlaLedger(session=session), user_id, LedgerFilter(), limit=limit
        )
        assert [e for p in pages for e in p] == expected


@pytest.mark.parametrize(
    ("filters", "keep"),
    [
        (LedgerFilter(type=TransactionType.PAYMENT), lambda e: e.type is TransactionType.PAYMENT),
        (LedgerFilter(status=TransactionStatus.PENDING), lambda e: e.is_pending),
        (LedgerFilter(currency="EUR"), lambda e: e.money.currency == "EUR"),
        (
            LedgerFilter(type=TransactionType.DEPOSIT, currency="USD"),
            lambda e: e.type is TransactionType.DEPOSIT and e.money.currency == "USD",
        ),
        (LedgerFilter(currency="JPY"), lambda e: False),
    ],
)
async def test_pages_apply_filters(
    session: AsyncSession,
    user_id: str,
    filters: LedgerFilter,
    keep: Callable[[LedgerEntry], bool],
) -> None:
    await open_wallet(session, user_id)
    written: list[LedgerEntry] = []
    for _ in range(4):
        written.append(await deposit(session, user_id, Money(50, "USD")))
        written.append(await deposit(session, user_id, Money(50, "EUR")))
        written.append(await pay(session, user_id, Money(20, "USD")))
    ledger = SqlaLedger(session=session)
    written[2] = (await settle(session, written[2], TransactionStatus.APPROVED)).payment

    pages = await collect_pages(ledger, user_id, filters, limit=3)

    newest_first = sorted(written, key=lambda e: (e.created_at, e.id), reverse=True)
    expected = [e for e in newest_first if keep(e)]
    assert [e for p in pages for e in p] == expected
    assert all(len(p) <= 3 for p in pages)


async def wallet_for_stale_payments(session: AsyncSession, user_id: str) -> datetime:
    """Open a wallet holding 10 USD; return a moment far in the past (and random, so no
    other test's payments are dated there) to date this test's stale payments from."""
    await wallet_holding(session, user_id, Money(10, "USD"))
    return ANCIENT + timedelta(minutes=secrets.randbelow(500_000))


async def stale_payment(session: AsyncSession, user_id: str, at: datetime) -> LedgerEntry:
    """A PENDING payment created at `at` (far in the past: only this test's rows are that old)."""
    return await open_payment(session, user_id, Money(1, "USD"), at=at)


async def foreign_stale(session: AsyncSession, user_id: str, cutoff: datetime) -> list[UUID]:
    """Stale PENDING payments other tests left behind, to skip so only ours are claimed."""
    result = await session.execute(
        text(
            "SELECT id FROM transactions WHERE status = 'PENDING' AND type = 'PAYMENT'"
            " AND created_at < :cutoff AND user_id <> :u"
        ),
        {"cutoff": cutoff, "u": user_id},
    )
    return list(result.scalars())


async def test_stale_pending_payments_are_claimed_oldest_first(
    session: AsyncSession, user_id: str
) -> None:
    base = await wallet_for_stale_payments(session, user_id)
    older = await stale_payment(session, user_id, base)
    old = await stale_payment(session, user_id, base + timedelta(hours=1))
    settled = await stale_payment(session, user_id, base - timedelta(hours=1))
    fresh = await stale_payment(session, user_id, base + timedelta(hours=3))
    ledger = SqlaLedger(session=session)
    await settle(session, settled, TransactionStatus.APPROVED)
    cutoff = base + timedelta(hours=2)
    skip = await foreign_stale(session, user_id, cutoff)

    assert await ledger.claim_stale_pending(cutoff, skip=skip) == older
    assert await ledger.claim_stale_pending(cutoff, skip=[*skip, older.id]) == old
    assert await ledger.claim_stale_pending(cutoff, skip=[*skip, older.id, old.id]) is None
    assert fresh.is_pending


async def test_a_claim_for_one_payment_takes_that_one_if_it_is_stale(
    session: AsyncSession, user_id: str
) -> None:
    base = await wallet_for_stale_payments(session, user_id)
    older = await stale_payment(session, user_id, base)
    old = await stale_payment(session, user_id, base + timedelta(hours=1))
    fresh = await stale_payment(session, user_id, base + timedelta(hours=3))
    ledger = SqlaLedger(session=session)
    cutoff = base + timedelta(hours=2)

    assert await ledger.claim_stale_pending(cutoff, only=old.id) == old  # not the oldest
    assert await ledger.claim_stale_pending(cutoff, only=fresh.id) is None  # not stale
    assert await ledger.claim_stale_pending(cutoff, skip=[old.id], only=old.id) is None
    assert older.is_pending


async def test_a_claimed_payment_is_skipped_by_other_workers_until_released(
    session_factory: async_sessionmaker[AsyncSession], user_id: str
) -> None:
    async with session_factory() as session:
        base = await wallet_for_stale_payments(session, user_id)
        first = await stale_payment(session, user_id, base)
        second = await stale_payment(session, user_id, base + timedelta(seconds=1))
        await session.commit()
        cutoff = base + timedelta(hours=1)
        skip = await foreign_stale(session, user_id, cutoff)
    try:
        async with session_factory() as session_a, session_factory() as session_b:
            worker_a, worker_b = SqlaLedger(session=session_a), SqlaLedger(session=session_b)
            assert await worker_a.claim_stale_pending(cutoff, skip=skip) == first
            assert await worker_b.claim_stale_pending(cutoff, skip=skip) == second
            assert await worker_b.claim_stale_pending(cutoff, skip=[*skip, second.id]) is None
            await session_a.rollback()
            assert await worker_a.claim_stale_pending(cutoff, skip=skip) == first
    finally:  # leave nothing PENDING behind for other tests' recovery runs
        async with session_factory() as session:
            for payment in (first, second):
                await settle(session, payment, TransactionStatus.APPROVED)
            await session.commit()


async def test_still_pending_names_the_payments_nobody_settled_yet(
    session: AsyncSession, user_id: str
) -> None:
    base = await wallet_for_stale_payments(session, user_id)
    pending = await stale_payment(session, user_id, base)
    settled = await stale_payment(session, user_id, base + timedelta(seconds=1))
    await settle(session, settled, TransactionStatus.DECLINED)
    made = await deposit(session, user_id, Money(5, "USD"))
    ledger = SqlaLedger(session=session)

    asked = [pending.id, settled.id, made.id, ids.new_id()]
    assert await ledger.still_pending(asked) == {pending.id}
    assert await ledger.still_pending([]) == set()


async def test_a_claim_skips_thousands_of_payments_through_a_hash(session: AsyncSession) -> None:
    """A worker may skip thousands of payments it waits to ask about again. In the generic
    plan asyncpg's prepared statement switches to, `:skip` must be hashed once, not
    compared with every row the scan passes (thousands times thousands per claim)."""
    compiled = CLAIM_STALE_PENDING.compile(dialect=ASYNCPG_DIALECT)
    skip = ",".join(str(ids.new_id()) for _ in range(5_000))
    literals = {**compiled.params, "cutoff": ANCIENT.isoformat(), "skip": f"{{{skip}}}"}
    args = ", ".join(f"'{literals[name]}'" for name in compiled.positiontup or ())
    raw = (await (await session.connection()).get_raw_connection()).driver_connection
    assert raw is not None
    await raw.execute(f"PREPARE claim_probe AS {compiled.string}")
    try:
        await raw.execute("SET LOCAL plan_cache_mode = force_generic_plan")
        explained = await raw.fetchval(f"EXPLAIN (FORMAT JSON) EXECUTE claim_probe({args})")
    finally:
        await raw.execute("DEALLOCATE claim_probe")
    plan = (json.loads(explained) if isinstance(explained, str) else explained)[0]["Plan"]

    filters = [node.get("Filter", "") for node in plan_nodes(plan)]
    assert any("hashed SubPlan" in f for f in filters), plan
