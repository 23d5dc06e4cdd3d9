"""`DeferredAsyncSession`: a request's AsyncSession whose ORM Session is built on first use.

Every request gets a session (Dishka's REQUEST scope, shared by the request's adapters so
their writes commit together), but the hottest paths never use it: their statements run
on a pool connection of their own unless a transaction is open (`driver`). Building the
ORM Session (identity map, event dispatch, the proxy registry's weak references) and
closing it again was a fifth of a balance read's own CPU, besides its one round trip.

Until something needs it, `in_transaction()` is False and there is nothing to close; the
first use of anything else builds it exactly as `AsyncSession.__init__` would have, so
the session behaves as any other from then on.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession


class DeferredAsyncSession(AsyncSession):
    def __init__(self, bind: AsyncEngine, **kw: Any) -> None:
        # Not AsyncSession.__init__, which builds the ORM Session at once.
        self.bind = bind
        self._session_kw = kw

    def __getattr__(self, name: str) -> Any:
        # Reached only for what is not set yet: the ORM Session and its proxy slot.
        if name not in ("sync_session", "_proxied"):
            raise AttributeError(name)
        session = self._assign_proxied(
            self.sync_session_class(bind=self.bind.sync_engine, **self._session_kw)
        )
        self.sync_session = self._proxied = session
        return session

    @property
    def started(self) -> bool:
        """Whether the ORM Session was built (something used this session)."""
        return "sync_session" in self.__dict__

    def in_transaction(self) -> bool:
        return self.started and self.sync_session.in_transaction()
