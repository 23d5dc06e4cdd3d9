"""The one way a use case ends its unit of work when something fails."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from wallet_domain.ports.transaction_manager import TransactionManager


@asynccontextmanager
async def rolling_back(tx: TransactionManager) -> AsyncIterator[None]:
    """Roll `tx` back if the block raises anything (a domain error, a lost connection, a
    cancellation), then let it propagate. Committing stays the block's own, explicit
    step: some paths end the unit early (a replay rolls back and answers)."""
    try:
        yield
    except BaseException:
        await tx.rollback()
        raise
