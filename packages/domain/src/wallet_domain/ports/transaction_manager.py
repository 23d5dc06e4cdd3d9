from __future__ import annotations

from typing import Protocol


class TransactionManager(Protocol):
    """Ends the current unit of work. Every repository port of one request shares it,
    so a business change and its outbox event commit together or not at all."""

    async def commit(self) -> None: ...

    async def rollback(self) -> None: ...
