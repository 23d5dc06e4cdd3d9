"""The one way to asyncpg: statements compiled once by SQLAlchemy, run on the raw driver.

A round trip costs the caller about as much CPU as the database spends on a small
statement, and SQLAlchemy's execute adds more. Statements that are a whole write on
their own (a payment's writes, a refusal's key read, the consumers' batches, the relay's
batch) go to the driver directly. They are still written with SQLAlchemy (Core or
`text()`) and compiled ONCE, at import, by its asyncpg dialect, which numbers the binds
(`$1`, `$2`, ...); `DriverStatement` keeps that SQL and the bind names in that order, so
a call only lists its values.

Three ways to run one, all here: `fetchrow` (or `fetch`, every row) on a
`StatementTarget`, either the request's session (inside its open transaction, e.g. the
recovery worker's row lock, the statement joins it; without one it is its own
transaction on a connection checked out of the engine's pool for just that statement: no
BEGIN/COMMIT round trips, and no session transaction to begin, commit and release around
it, bookkeeping that cost the payment path as much CPU as both its statements, and a
read four round trips where it needs one) or the engine itself (always its own
transaction on the pool: an adapter built on the engine holds no session, so one serves
every request of the process);
`fetch_pooled` on the engine's pool, with no session at all; and
`PoolTransaction`, several statements in one transaction on one pool connection (a
relay batch). The pool is always the engine's, so its size, health check and disposal
stay one thing. This is the only module that imports asyncpg (import-linter checks it).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Any, Final, TypeVar

import asyncpg  # type: ignore[import-untyped]
import orjson
from opentelemetry import trace
from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession
from sqlalchemy.sql.elements import BindParameter, ClauseElement
from sqlalchemy.util import await_only, greenlet_spawn
from wallet_domain.ports.transaction_manager import TransactionManager

from wallet_infra.persistence.errors import ErrorFactory, translate_driver
from wallet_infra.persistence.fair_pool import FairAsyncQueuePool
from wallet_infra.telemetry import leaf_span

_T = TypeVar("_T")

# Where a driver statement runs: a session (joining its open transaction, if any) or an
# engine (on its pool, each statement its own transaction).
StatementTarget = AsyncSession | AsyncEngine

ASYNCPG_DIALECT: Final = PGDialect_asyncpg()  # type: ignore[no-untyped-call]  # unannotated
# A `:name` SQLAlchemy did not take for a bind, e.g. one written `:name::type`.
_UNBOUND: Final = re.compile(r"(?<![:\w]):[A-Za-z_]\w*")
# The server or the socket went away: the connection is unusable, whatever the statement.
CONNECTION_LOST: Final = (
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,  # e.g. the protocol saw the server's goodbye mid-exchange
    ConnectionError,
    OSError,
)
# Whatever a driver statement may fail with besides a known violation: the server's
# refusal (e.g. a replica cancelling a query that conflicts with its replay) or a lost
# connection. What SQLAlchemy would wrap in a DBAPIError.
STATEMENT_FAILED: Final = (asyncpg.PostgresError, *CONNECTION_LOST)


def json_text(value: Any) -> str:
    """A JSON(B) parameter as the engine's asyncpg codec takes it: JSON text."""
    return orjson.dumps(value).decode()


class DriverStatement:
    """A SQLAlchemy statement compiled once for asyncpg: its SQL and its binds' names in
    `$n` order. Values go to the driver as they are (no SQLAlchemy bind processing), so a
    statement whose binds would need processing, or that SQLAlchemy can only finish per
    call (an expanding IN), is refused here, at import."""

    __slots__ = ("names", "sql")

    def __init__(self, statement: ClauseElement) -> None:
        compiled = ASYNCPG_DIALECT.statement_compiler(ASYNCPG_DIALECT, statement)
        processed = sorted(name for name, bind in compiled.binds.items() if _processed(bind))
        if processed:
            raise TypeError(f"binds that need SQLAlchemy's processing: {processed}")
        valued = sorted(name for name, bind in compiled.binds.items() if not bind.required)
        if valued:
            # e.g. a Python constant in the statement: a call would never pass its value.
            raise TypeError(f"binds with a value of their own: {valued} (use literal_column)")
        if compiled.literal_execute_params or compiled.post_compile_params:
            raise TypeError("statement is only complete per call (expanding or literal binds)")
        unbound = _UNBOUND.search(compiled.string)
        if unbound is not None:
            raise ValueError(f"{unbound.group()} is not a bind: write CAST(:name AS type)")
        self.sql: str = compiled.string
        self.names: tuple[str, ...] = tuple(compiled.positiontup or ())

    def args(self, params: Mapping[str, Any]) -> list[Any]:
        """The values of `params` in the statement's `$n` order."""
        return [params[name] for name in self.names]


def _processed(bind: BindParameter[Any]) -> bool:
    """Whether SQLAlchemy would convert this bind's value before handing it to asyncpg."""
    return bind.type.dialect_impl(ASYNCPG_DIALECT).bind_processor(ASYNCPG_DIALECT) is not None


async def fetchrow(
    session: StatementTarget,
    span_name: str,
    statement: DriverStatement,
    params: Mapping[str, Any],
    *,
    constraints: Mapping[str, ErrorFactory] | None = None,
    sqlstates: Mapping[str, ErrorFactory] | None = None,
) -> Any:
    """The statement's first row (or None), with known constraint/SQLSTATE violations
    translated like `errors.translate`, in a client span like SQLAlchemy's statements.
    It joins the session's transaction if one is open, else runs on its own (see above)."""
    args = statement.args(params)
    try:
        return await _on_statement_driver(
            session, span_name, lambda driver: driver.fetchrow(statement.sql, *args)
        )
    except asyncpg.PostgresError as exc:
        error = translate_driver(exc, constraints=constraints, sqlstates=sqlstates)
        if error is None:
            raise
        raise error from None


async def fetch(
    session: StatementTarget,
    span_name: str,
    statement: DriverStatement,
    params: Mapping[str, Any],
) -> list[Any]:
    """Every row of a read, like `fetchrow`: in the session's open transaction, else on
    its own on a pool connection (a read then costs one round trip, no BEGIN/ROLLBACK)."""
    args = statement.args(params)
    rows: list[Any] = await _on_statement_driver(
        session, span_name, lambda driver: driver.fetch(statement.sql, *args)
    )
    return rows


async def fetch_pooled(
    engine: AsyncEngine,
    span_name: str,
    statement: DriverStatement,
    params: Mapping[str, Any],
    *,
    rows_sent: int | None = None,
) -> list[Any]:
    """Every row the statement returns, run as its own transaction on a connection of
    `engine`'s pool, in a client span (`db.operation.batch.size` = `rows_sent` for a
    batched write)."""
    attributes = {} if rows_sent is None else {"db.operation.batch.size": rows_sent}
    args = statement.args(params)
    rows: list[Any] = await _on_pool(
        engine, span_name, lambda driver: driver.fetch(statement.sql, *args), attributes
    )
    return rows


class PoolTransaction(TransactionManager):
    """Several statements in one transaction on one pool connection, taken (and BEGIN
    sent) by the first statement; ended by `commit()` or `rollback()`. `close()` (the
    REQUEST scope's teardown) rolls back whatever is still open and returns the
    connection; a connection whose state is unknown (a failed rollback, a lost socket) is
    invalidated, never pooled again."""

    def __init__(self, *, engine: AsyncEngine) -> None:
        self._engine = engine
        self._connection: AsyncConnection | None = None
        self._transaction: Any = None  # asyncpg's Transaction, once begun

    async def fetch(
        self, span_name: str, statement: DriverStatement, params: Mapping[str, Any]
    ) -> list[Any]:
        """Every row the statement returns, inside the transaction."""
        connection = await self._begun()
        async with _on_driver(connection, span_name) as driver:
            rows: list[Any] = await driver.fetch(statement.sql, *statement.args(params))
        return rows

    async def execute(
        self, span_name: str, statement: DriverStatement, params: Mapping[str, Any]
    ) -> str:
        """The statement's command tag (`UPDATE 3`), inside the transaction."""
        connection = await self._begun()
        async with _on_driver(connection, span_name) as driver:
            status: str = await driver.execute(statement.sql, *statement.args(params))
        return status

    async def commit(self) -> None:
        await self._end("COMMIT")

    async def rollback(self) -> None:
        await self._end("ROLLBACK")

    async def close(self) -> None:
        connection = self._connection
        if connection is None:
            return
        try:
            await self.rollback()  # nothing to do unless the batch left it open
        except BaseException:
            # Failed or cancelled mid-rollback: the server may still hold the transaction,
            # which the pool's reset on return would not know.
            await connection.invalidate()
            raise
        finally:
            self._connection = None
            await connection.close()

    async def _begun(self) -> AsyncConnection:
        if self._connection is None:
            self._connection = await self._engine.connect()
        if self._transaction is None:
            async with _on_driver(self._connection, "BEGIN") as driver:
                transaction = driver.transaction()
                await transaction.start()
            self._transaction = transaction
        return self._connection

    async def _end(self, how: str) -> None:
        transaction, self._transaction = self._transaction, None
        if transaction is None or self._connection is None:
            return
        async with _on_driver(self._connection, how):
            await (transaction.commit() if how == "COMMIT" else transaction.rollback())


async def _on_statement_driver(
    session: StatementTarget, span_name: str, run: Callable[[Any], Awaitable[_T]]
) -> _T:
    """`run` on the asyncpg connection: the session's, inside its open transaction, else
    one of the pool's for just this statement (always, given the engine)."""
    if isinstance(session, AsyncEngine):
        return await _on_pool(session, span_name, run)
    if session.in_transaction():
        connection = await session.connection()
        await _begin_if_lazy((await connection.get_raw_connection()).dbapi_connection)
        async with _on_driver(connection, span_name) as driver:
            return await run(driver)
    engine = session.bind
    assert isinstance(engine, AsyncEngine)  # sessions come from the engine's sessionmaker
    return await _on_pool(engine, span_name, run)


async def _begin_if_lazy(adapted: Any) -> None:
    """SQLAlchemy's asyncpg adapter sends BEGIN with its own first statement, not when the
    session's transaction starts: a driver statement first in that transaction would run
    (and commit) on its own. Send the BEGIN now, as the adapter would, so the statement
    commits or rolls back with the session (its private state: pinned SQLAlchemy, and a
    test fails if it changes)."""
    if adapted._started:
        return
    async with adapted._execute_mutex:
        if not adapted._started:
            await adapted._start_transaction()


async def _on_pool(
    engine: AsyncEngine,
    span_name: str,
    run: Callable[[Any], Awaitable[_T]],
    attributes: Mapping[str, Any] | None = None,
) -> _T:
    """`run` on an asyncpg connection checked out of `engine`'s pool for one statement
    (which then commits by itself), inside a client span; the connection goes back to the
    pool right after, or is invalidated if the server or the socket went away meanwhile.

    The pool is SQLAlchemy's, whose checkout and checkin may need I/O (a new connection, a
    recycled one, closing an invalidated or overflow one) and so run under
    `greenlet_spawn`. Most need none: an idle, valid connection, or on a busy pool a wait
    in the pool's fair line for a returned one, and a return to a waiter or the queue.
    Those run in place and the statement is awaited natively, which saves a greenlet and
    its switches (a pooled `SELECT 1`: ~100 -> ~70 us against ~50 bare; more when the
    wait, too, ran in the greenlet). Otherwise checkout, statement and checkin share ONE
    greenlet, each spawned costing about as much CPU as the checkout itself."""
    pool = engine.sync_engine.pool
    if not isinstance(pool, FairAsyncQueuePool):
        return await greenlet_spawn(_checked_out, engine.sync_engine, span_name, run, attributes)
    if pool.must_wait():  # the usual case on a busy pool: the wait needs no greenlet either
        await pool.wait_for_connection()
    pooled = pool.connect_at_hand()
    if pooled is None:  # the checkout needs I/O: it takes the connection waited for, if any
        return await greenlet_spawn(_checked_out, engine.sync_engine, span_name, run, attributes)
    try:
        with _client_span(span_name, attributes):
            return await run(pooled.driver_connection)
    except CONNECTION_LOST:
        await greenlet_spawn(pooled.invalidate)  # closes the socket's remains: I/O
        raise
    finally:
        if pool.returns_at_hand(pooled):
            pooled.close()
        else:
            await greenlet_spawn(pooled.close)


def _checked_out(
    engine: Engine,
    span_name: str,
    run: Callable[[Any], Awaitable[_T]],
    attributes: Mapping[str, Any] | None,
) -> _T:
    """`_on_pool`'s body, inside its greenlet: `await_only` waits for the statement."""
    pooled = engine.raw_connection()
    try:
        with _client_span(span_name, attributes):
            return await_only(run(pooled.driver_connection))
    except CONNECTION_LOST:
        pooled.invalidate()
        raise
    finally:
        pooled.close()


@asynccontextmanager
async def _on_driver(connection: AsyncConnection, span_name: str) -> AsyncIterator[Any]:
    """The asyncpg connection under `connection`, used inside a client span; if the server
    or the socket went away meanwhile, the connection is invalidated, never pooled again
    (what SQLAlchemy does for its own statements)."""
    driver = (await connection.get_raw_connection()).driver_connection
    assert driver is not None  # a checked-out connection always has one
    with _client_span(span_name, None):
        try:
            yield driver
        except CONNECTION_LOST:
            await connection.invalidate()
            raise


def _client_span(span_name: str, attributes: Mapping[str, Any] | None) -> Any:
    # Not current: a statement starts no span of its own.
    return leaf_span(
        span_name,
        kind=trace.SpanKind.CLIENT,
        attributes={"db.system": "postgresql", **(attributes or {})},
    )
