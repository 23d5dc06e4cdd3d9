"""`TransactionManager` over the request's session, shared by every adapter of the request."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from wallet_domain.ports.transaction_manager import TransactionManager


class SqlaTransactionManager(TransactionManager):
    """Commits or rolls back the one session the request's repositories write through."""

    def __init__(self, *, session: AsyncSession) -> None:
        self._session = session

    # Nothing begun, nothing to end: the payment path's statements commit by themselves
    # (`driver.fetchrow`), and a session commit would still begin and end an empty one.
    async def commit(self) -> None:
        if self._session.in_transaction():
            await self._session.commit()

    async def rollback(self) -> None:
        if self._session.in_transaction():
            await self._session.rollback()
