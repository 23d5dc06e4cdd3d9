"""The unit of work of adapters built on the engine: each statement commits by itself."""

from __future__ import annotations

from wallet_domain.ports.transaction_manager import TransactionManager


class Autocommit(TransactionManager):
    """For a use case whose ports each run every statement as its own transaction on the
    pool (no session anywhere): there is never anything open to commit or roll back, so
    one instance serves every request of the process."""

    async def commit(self) -> None:
        return None

    async def rollback(self) -> None:
        return None
