"""Engine (APP) and session (REQUEST) providers."""

from __future__ import annotations

from collections.abc import AsyncIterator

from dishka import Provider, Scope, provide
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from wallet_infra.config.settings import Settings
from wallet_infra.persistence.engine import close_session, make_engine, make_session_factory
from wallet_infra.persistence.pool_metrics import watch_pool
from wallet_infra.telemetry import instrument_engine


class DatabaseProvider(Provider):
    """One pool per process; one session per request (or per unit of background work).

    The session's teardown only closes it: anything the use case did not commit is
    rolled back. Committing is the use case's decision (TransactionManager), never the
    container's, so an exception can never half-commit a request.
    """

    @provide(scope=Scope.APP)
    async def engine(self, settings: Settings) -> AsyncIterator[AsyncEngine]:
        engine = make_engine(
            settings.database_url,
            pool_size=settings.db_pool_size,
            max_overflow=settings.db_max_overflow,
            statement_timeout_ms=settings.db_statement_timeout_ms,
        )
        instrument_engine(engine)
        watch_pool(engine, max_overflow=settings.db_max_overflow)
        yield engine
        await engine.dispose()

    @provide(scope=Scope.APP)
    def session_factory(self, engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
        return make_session_factory(engine)

    @provide(scope=Scope.REQUEST)
    async def session(
        self, factory: async_sessionmaker[AsyncSession]
    ) -> AsyncIterator[AsyncSession]:
        session = factory()
        try:
            yield session
        finally:
            await close_session(session)
