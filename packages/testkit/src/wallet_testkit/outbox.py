"""The transactional outbox of a (private) test database, written the way the API writes
it: through infra's `SqlaOutboxWriter`, in one transaction."""

from __future__ import annotations

from collections.abc import Iterable
from types import TracebackType
from uuid import UUID

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncEngine
from wallet_domain.model.events import DomainEvent
from wallet_infra.persistence.engine import make_engine, make_session_factory
from wallet_infra.persistence.outbox import SqlaOutboxWriter
from wallet_infra.persistence.tables import outbox


class Outbox:
    """The outbox of the database at `dsn` (an engine of its own: `close()` it, or use
    `async with`)."""

    def __init__(self, dsn: str, *, pool_size: int = 2) -> None:
        self.engine: AsyncEngine = make_engine(dsn, pool_size=pool_size)
        self._sessions = make_session_factory(self.engine)

    async def __aenter__(self) -> Outbox:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    async def write(self, events: Iterable[DomainEvent]) -> list[UUID]:
        """Commit `events` in one transaction; their event_ids, in order."""
        written = list(events)
        async with self._sessions() as session:
            writer = SqlaOutboxWriter(session=session)
            for event in written:
                await writer.add(event)
            await session.commit()
        return [event.event_id for event in written]

    async def clear(self) -> None:
        async with self._sessions() as session:
            await session.execute(delete(outbox))
            await session.commit()

    async def unsent(self) -> int:
        async with self._sessions() as session:
            query = select(func.count()).select_from(outbox).where(outbox.c.sent_at.is_(None))
            return int((await session.execute(query)).scalar_one())

    async def close(self) -> None:
        await self.engine.dispose()
