"""PooledLedgerReads against PostgreSQL: a history page's reads on the engine's pool,
answering as SqlaLedger does, and only from what is committed."""

from __future__ import annotations

from uuid import uuid4

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from wallet_domain.model.pagination import LedgerFilter, LedgerPosition
from wallet_domain.model.transaction import TransactionType
from wallet_domain.money import Money
from wallet_infra.persistence.ledger import SqlaLedger
from wallet_infra.persistence.pooled_ledger_reads import PooledLedgerReads

from .payment_kit import funded_wallet, open_payment, wallet_holding


async def test_reads_answer_as_the_session_ledger_does(
    engine: AsyncEngine, session_factory: async_sessionmaker[AsyncSession], user_id: str
) -> None:
    await funded_wallet(session_factory, user_id, Money(1_000, "USD"))
    async with session_factory() as session:
        paid = [await open_payment(session, user_id, Money(n, "USD")) for n in (1, 2, 3)]
        await session.commit()
    reads = PooledLedgerReads(engine=engine)

    async with session_factory() as session:
        ledger = SqlaLedger(session=session)
        assert await reads.get(user_id, paid[0].id) == await ledger.get(user_id, paid[0].id)
        for filters, before in (
            (LedgerFilter(), None),
            (LedgerFilter(type=TransactionType.PAYMENT), LedgerPosition.of(paid[2])),
        ):
            expected = await ledger.page(user_id, filters, before=before, limit=3)
            assert await reads.page(user_id, filters, before=before, limit=3) == expected
    newest = await reads.page(user_id, LedgerFilter(), before=None, limit=2)
    assert [entry.id for entry in newest] == [paid[2].id, paid[1].id]


async def test_what_is_not_there_or_not_committed_is_not_found(
    engine: AsyncEngine, session: AsyncSession, user_id: str
) -> None:
    reads = PooledLedgerReads(engine=engine)
    assert await reads.get(user_id, uuid4()) is None
    assert await reads.page(user_id, LedgerFilter(), before=None, limit=5) == []
    await wallet_holding(session, user_id, Money(10, "USD"))  # a deposit, not committed
    assert await reads.page(user_id, LedgerFilter(), before=None, limit=5) == []
