"""Driver errors, read at the persistence boundary.

Adapters translate a violation of a *known* constraint into a domain error (whose message
says nothing about SQL); anything else propagates unchanged and the API turns it into a
generic 500. After any database error the transaction is aborted: the caller rolls back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Final

from sqlalchemy.exc import DBAPIError
from wallet_domain.errors import IdempotencyInProgress

UNIQUE_VIOLATION: Final = "23505"
FOREIGN_KEY_VIOLATION: Final = "23503"
CHECK_VIOLATION: Final = "23514"
INTEGRITY_CONSTRAINT_VIOLATION: Final = "23000"  # what the ledger's immutability trigger raises
NUMERIC_VALUE_OUT_OF_RANGE: Final = "22003"
DEADLOCK_DETECTED: Final = "40P01"
UNDEFINED_TABLE: Final = "42P01"

ErrorFactory = Callable[[], Exception]

# One Idempotency-Key sent on two writes at once that take the key and a wallet's rows in
# opposite orders (one claims its key first, the other locks the wallet or its balance
# first): PostgreSQL breaks the deadlock, and the write it stops is "in flight".
SAME_KEY_DEADLOCK: Final[Mapping[str, ErrorFactory]] = {DEADLOCK_DETECTED: IdempotencyInProgress}


def sqlstate(exc: DBAPIError) -> str | None:
    """The PostgreSQL SQLSTATE of a failed statement, if the server sent one."""
    code = getattr(exc.orig, "sqlstate", None)
    return code if isinstance(code, str) else None


def constraint_name(exc: DBAPIError) -> str | None:
    """The violated constraint's name (asyncpg keeps it on the original exception)."""
    driver_error = exc.orig.__cause__ if exc.orig is not None else None
    name = getattr(driver_error, "constraint_name", None)
    return name if isinstance(name, str) else None


def translate(
    exc: DBAPIError,
    *,
    constraints: Mapping[str, ErrorFactory] | None = None,
    sqlstates: Mapping[str, ErrorFactory] | None = None,
) -> Exception | None:
    """The domain error for a known constraint or SQLSTATE, else None (re-raise `exc`)."""
    return _known(constraint_name(exc), sqlstate(exc), constraints, sqlstates)


@contextmanager
def translated(
    *,
    constraints: Mapping[str, ErrorFactory] | None = None,
    sqlstates: Mapping[str, ErrorFactory] | None = None,
) -> Iterator[None]:
    """Around a session's statements: a known violation raised inside leaves as its
    domain error (`translate`), anything else as it was."""
    try:
        yield
    except DBAPIError as exc:
        error = translate(exc, constraints=constraints, sqlstates=sqlstates)
        if error is None:
            raise
        raise error from None


def translate_driver(
    exc: Exception,
    *,
    constraints: Mapping[str, ErrorFactory] | None = None,
    sqlstates: Mapping[str, ErrorFactory] | None = None,
) -> Exception | None:
    """`translate` for an error raised by the driver itself (asyncpg used directly)."""
    name = getattr(exc, "constraint_name", None)
    code = getattr(exc, "sqlstate", None)
    return _known(
        name if isinstance(name, str) else None,
        code if isinstance(code, str) else None,
        constraints,
        sqlstates,
    )


def _known(
    name: str | None,
    code: str | None,
    constraints: Mapping[str, ErrorFactory] | None,
    sqlstates: Mapping[str, ErrorFactory] | None,
) -> Exception | None:
    if constraints and name is not None and name in constraints:
        return constraints[name]()
    if sqlstates and code is not None and code in sqlstates:
        return sqlstates[code]()
    return None
