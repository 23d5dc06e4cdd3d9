"""The lag-tolerant reads of a process without replicas (read_replicas/primary_only.py):
on the primary, each counted where a ReadRouter would count it."""

from __future__ import annotations

from prometheus_client import REGISTRY
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from wallet_domain.model.pagination import LedgerFilter
from wallet_domain.money import Money
from wallet_infra.read_replicas.primary_only import PrimaryOnlyLedger, PrimaryOnlyWallets

from .payment_kit import funded_wallet, open_payment


def _on_primary() -> float:
    return REGISTRY.get_sample_value("wallet_db_reads_total", {"target": "primary"}) or 0.0


async def test_each_read_runs_on_the_primary_and_is_counted_there(
    engine: AsyncEngine, session_factory: async_sessionmaker[AsyncSession], user_id: str
) -> None:
    await funded_wallet(session_factory, user_id, Money(100, "USD"))
    async with session_factory() as session:
        paid = await open_payment(session, user_id, Money(5, "USD"))
        await session.commit()
    wallets, ledger = PrimaryOnlyWallets(engine=engine), PrimaryOnlyLedger(engine=engine)
    before = _on_primary()

    wallet = await wallets.get(user_id)
    assert wallet is not None
    assert wallet.user_id == user_id
    found = await ledger.get(user_id, paid.id)
    assert found is not None
    assert found.id == paid.id
    page = await ledger.page(user_id, LedgerFilter(), before=None, limit=10)
    assert paid.id in [entry.id for entry in page]

    assert _on_primary() - before == 3
