"""Connection URLs checked when the settings load, refused without echoing them.

A URL holds a password. One the drivers would misread (a password with an unescaped `@`
reads as part of the host; a forgotten `@host` puts the password where the port goes)
failed later, in a driver's error or a traceback that quoted it into the logs, or named a
replica in metrics and `/readyz` by part of its password. Parsed here as the drivers
parse them (SQLAlchemy's `make_url` for PostgreSQL, yarl for AMQP), so a process with such
a URL stops at start, saying which setting is wrong but not what it holds.
"""

from __future__ import annotations

from typing import Final

from sqlalchemy.engine import make_url
from yarl import URL

_POSTGRES_SCHEMES: Final = frozenset({"postgresql", "postgres", "postgresql+asyncpg"})
_AMQP_SCHEMES: Final = frozenset({"amqp", "amqps"})
_NOT_SHOWN: Final = " (the value is not shown: it may hold a password; percent-encode an @ in it)"


def checked_postgres_url(value: str, setting: str) -> str:
    try:
        parsed = make_url(value)
        # An `@` in the host it read is part of an unescaped password (SQLAlchemy splits
        # at the first `@`, after a password that may also hold `/`, `?` or `#`).
        valid = parsed.drivername in _POSTGRES_SCHEMES and "@" not in (parsed.host or "")
    except Exception:  # the parser's own messages quote the value
        valid = False
    if not valid:
        raise ValueError(f"{setting} is not a postgresql:// URL{_NOT_SHOWN}")
    return value


def checked_amqp_url(value: str, setting: str) -> str:
    try:
        parsed = URL(value)
        _ = parsed.port  # a port that is not a number raises here
        # yarl splits at the last `@` of the authority: a password with an unescaped `@`
        # is read whole, and one with `/` before it leaves no valid host or port.
        valid = parsed.scheme in _AMQP_SCHEMES and "@" not in (parsed.host or "x@")
    except Exception:  # the parser's own messages quote the value
        valid = False
    if not valid:
        raise ValueError(f"{setting} is not an amqp:// URL{_NOT_SHOWN}")
    return value
