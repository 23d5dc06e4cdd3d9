"""The async engine and session factory: one pool per process, APP scope.

Tuned for the payment hot path: no pre-ping round trip per checkout (a connection the
server dropped fails one statement, SQLAlchemy recognises the disconnect and invalidates
the pool, and the next checkout reconnects), LIFO checkout so the few busiest connections
keep their prepared-statement caches warm, no TLS on loopback, JSON through orjson, and
waiters for a connection served in the order they asked (`fair_pool`).
"""

from __future__ import annotations

from typing import Any, Final

import orjson
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import Pool

from wallet_infra.persistence.deferred_session import DeferredAsyncSession
from wallet_infra.persistence.fair_pool import FairAsyncQueuePool

ASYNC_DRIVER: Final = "postgresql+asyncpg"
_PLAIN_SCHEMES: Final = frozenset({"postgres", "postgresql", "postgresql+asyncpg"})
_LOOPBACK_HOSTS: Final = frozenset({"", "localhost", "127.0.0.1", "::1"})
POOL_RECYCLE_S: Final = 1800
POOL_TIMEOUT_S: Final = 10.0


def _json_dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def async_url(dsn: str) -> URL:
    """`postgresql://...` (or `postgres://`) as a `postgresql+asyncpg://` URL."""
    if dsn.startswith("postgres://"):
        dsn = "postgresql://" + dsn.removeprefix("postgres://")
    url = make_url(dsn)
    if url.drivername not in _PLAIN_SCHEMES:
        raise ValueError(f"not a PostgreSQL URL: {url.drivername}://")
    return url.set(drivername=ASYNC_DRIVER)


def ssl_mode(url: URL) -> str | None:
    """libpq's `sslmode` from the URL (asyncpg calls it `ssl`, with the same values).

    Without one, asyncpg would "prefer" TLS, which on a loopback connection only costs
    CPU (about a third of the payment path's throughput); other hosts keep that default.
    """
    given = url.query.get("sslmode")
    if given is not None:
        return given if isinstance(given, str) else given[-1]
    host = url.host or ""
    return "disable" if host in _LOOPBACK_HOSTS or host.startswith("/") else None


def make_engine(
    dsn: str,
    *,
    pool_size: int = 20,
    max_overflow: int = 10,
    statement_timeout_ms: int | None = None,
    pool_timeout_s: float = POOL_TIMEOUT_S,
    application_name: str = "wallet",
    connect_timeout_s: float | None = None,
    poolclass: type[Pool] = FairAsyncQueuePool,
) -> AsyncEngine:
    """An engine for `dsn` (`postgresql://user:pass@host:port/db[?sslmode=...]`).
    `poolclass`: the apps keep the default; `bench/pool_waits.py` sets SQLAlchemy's own
    to compare the two on otherwise the same engine."""
    url = async_url(dsn)
    sslmode = ssl_mode(url)
    url = url.difference_update_query(["sslmode"])
    server_settings = {"application_name": application_name, "jit": "off"}
    if statement_timeout_ms is not None:
        server_settings["statement_timeout"] = str(statement_timeout_ms)
    connect_args: dict[str, Any] = {"server_settings": server_settings}
    if sslmode is not None:
        connect_args["ssl"] = sslmode
    if connect_timeout_s is not None:
        connect_args["timeout"] = connect_timeout_s
    return create_async_engine(
        url,
        poolclass=poolclass,
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_timeout=pool_timeout_s,
        pool_recycle=POOL_RECYCLE_S,
        pool_pre_ping=False,
        pool_use_lifo=True,
        json_serializer=_json_dumps,
        json_deserializer=orjson.loads,
        connect_args=connect_args,
    )


def make_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded values after commit (nothing is lazily reloaded), each
    built only once something uses it (`DeferredAsyncSession`)."""
    return async_sessionmaker(
        engine, class_=DeferredAsyncSession, expire_on_commit=False, autoflush=False
    )


async def close_session(session: AsyncSession) -> None:
    """Close `session` as leaving `async with session` does: anything uncommitted rolled
    back, its connection back to the pool, in a task of its own that a cancellation
    cannot cut short. A session that never began a transaction holds no connection, so
    closing it is bookkeeping without I/O, done in place: no task, no greenlet. The
    payment path's statements run on the pool, so its session never begins one."""
    if not session.in_transaction():
        if isinstance(session, DeferredAsyncSession) and not session.started:
            return  # never used: nothing was built, nothing to release
        session.sync_session.close()
        return
    async with session:
        pass
