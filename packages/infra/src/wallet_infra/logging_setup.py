"""structlog set-up shared by every process: JSON in containers, console locally.

Both structlog loggers and stdlib loggers (uvicorn, SQLAlchemy, aio-pika) go through the
same processors, so every line has ISO timestamps, the request's context variables and
the same redaction of secrets. Safe to call more than once (tests build many apps).
"""

from __future__ import annotations

import functools
import logging
import re
import sys
import time
from collections.abc import Mapping
from typing import Any, Final, Literal

import orjson
import structlog
from structlog.typing import EventDict, Processor, WrappedLogger

from wallet_infra.telemetry import trace_ids

REDACTED: Final = "[REDACTED]"
# Normalised (lower case, `-` as `_`) key fragments whose values are never logged.
_SECRET_KEY_PARTS: Final = (
    "api_key",
    "apikey",
    "authorization",
    "password",
    "passwd",
    "secret",
    "cookie",
)
_URL_KEY_SUFFIXES: Final = ("_url", "dsn")
_URL_CREDENTIALS: Final = re.compile(r"(?P<head>[a-zA-Z][\w+.-]*://[^:/@\s]*):[^@\s]*@")


@functools.lru_cache(maxsize=4096)
def _is_secret_key(key: str) -> bool:
    """Cached: a process logs the same few dozen keys over and over."""
    normalised = key.lower().replace("-", "_")
    return any(part in normalised for part in _SECRET_KEY_PARTS)


@functools.lru_cache(maxsize=4096)
def _is_url_key(key: str) -> bool:
    return key.lower().endswith(_URL_KEY_SUFFIXES)


# Values that hold nothing to redact below them (most of a line's values): returned as is.
_LEAF_TYPES: Final = frozenset({int, float, bool, type(None)})


def _redact(value: Any, key: str = "") -> Any:
    if key and _is_secret_key(key):
        return REDACTED
    kind = type(value)
    if kind in _LEAF_TYPES:
        return value
    if kind is str:
        if key and _is_url_key(key):
            return _URL_CREDENTIALS.sub(r"\g<head>:***@", value)
        return value
    if isinstance(value, Mapping):
        return {k: _redact(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_redact(v) for v in value]
    if isinstance(value, str) and key and _is_url_key(key):
        return _URL_CREDENTIALS.sub(r"\g<head>:***@", value)
    return value


@functools.lru_cache(maxsize=4096)
def _key_needs_redaction(key: str) -> bool:
    return bool(key) and (_is_secret_key(key) or _is_url_key(key))


# Values `_redact` returns as they are under a key that is neither a secret nor a URL.
_PLAIN_TYPES: Final = _LEAF_TYPES | {str}


def redact_secrets(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
    """Replace the value of any key named like a credential; mask passwords in URLs.

    A line with nothing to redact (most lines: plain values under plain keys) is returned
    as it is; structlog hands each processor chain its own dict, so nothing is shared."""
    for key, value in event_dict.items():
        if type(value) not in _PLAIN_TYPES or _key_needs_redaction(key):
            return {key: _redact(value, key) for key, value in event_dict.items()}
    return event_dict


def drop_color_message(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
    """uvicorn adds an ANSI-coloured copy of each message as an extra; it is noise."""
    event_dict.pop("color_message", None)
    return event_dict


def add_trace_context(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
    """`trace_id` and `span_id` of the span current when the line is logged, so a
    log line leads to its trace; lines logged outside any span keep what was bound."""
    ids = trace_ids()
    if ids is not None:
        event_dict["trace_id"], event_dict["span_id"] = ids
    return event_dict


# (second since the epoch, that second as ISO 8601 UTC without a fraction): the date
# and time are formatted once per second, not once per line. One tuple, replaced whole,
# so a thread that logs meanwhile reads one consistent pair.
_SECOND: tuple[int, str] = (-1, "")


def add_utc_timestamp(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
    """`timestamp` exactly as structlog's `TimeStamper(fmt="iso", utc=True)` writes it
    (`2026-12-07T04:36:00.123456Z`, the fraction left out at a whole second), for a
    third of its CPU: every request logs a line, and building a datetime to print it
    was the line's dearest step."""
    global _SECOND
    second, nanoseconds = divmod(time.time_ns(), 1_000_000_000)
    cached, text = _SECOND
    if second != cached:
        text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
        _SECOND = (second, text)
    micro = nanoseconds // 1000
    event_dict["timestamp"] = f"{text}.{micro:06d}Z" if micro else f"{text}Z"
    return event_dict


def _json_dumps(value: Any, **_: Any) -> str:
    return orjson.dumps(value, default=str).decode()


def _shared_processors() -> list[Processor]:
    return [
        structlog.contextvars.merge_contextvars,
        add_trace_context,
        structlog.stdlib.add_log_level,
        add_utc_timestamp,
    ]


# The one processor list every structlog logger of the process uses (see configure_logging).
_PROCESSORS: Final[list[Processor]] = []
# The stdlib loggers configure_logging changes besides the root logger.
UVICORN_LOGGERS: Final = ("uvicorn", "uvicorn.error", "uvicorn.access")
# HTTP client libraries whose per-request lines repeat what our own lines say.
QUIET_CLIENT_LOGGERS: Final = ("httpx",)


def configure_logging(
    *, log_format: Literal["json", "console"] = "console", log_level: str = "info"
) -> None:
    """Configure structlog and route stdlib logging through the same renderer."""
    level = logging.getLevelNamesMapping()[log_level.upper()]
    renderer: Processor = (
        structlog.processors.JSONRenderer(serializer=_json_dumps)
        if log_format == "json"
        # Plain tracebacks: the default (rich) one prints every frame's local variables,
        # and a request's locals hold its headers, X-API-Key included, which no log may show.
        else structlog.dev.ConsoleRenderer(
            colors=sys.stderr.isatty(), exception_formatter=structlog.dev.plain_traceback
        )
    )
    exceptions: list[Processor] = (
        [structlog.processors.format_exc_info] if log_format == "json" else []
    )
    shared = _shared_processors()
    # Updated in place: a logger cached on first use keeps the list object it was built
    # with, so re-configuring (or structlog's capture_logs, which also edits the current
    # list in place) reaches it too, not only loggers first used afterwards.
    _PROCESSORS[:] = [
        *shared,
        redact_secrets,
        structlog.processors.StackInfoRenderer(),
        *exceptions,
        renderer,
    ]
    structlog.configure(
        processors=_PROCESSORS,
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.WriteLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[
            *shared,
            structlog.stdlib.add_logger_name,
            structlog.stdlib.ExtraAdder(),
            drop_color_message,
            redact_secrets,
        ],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            *exceptions,
            renderer,
        ],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level)
    # uvicorn installs its own handlers when given a log config; we pass none, and its
    # access log is replaced by ours.
    for name in UVICORN_LOGGERS:
        logging.getLogger(name).handlers = []
        logging.getLogger(name).propagate = True
    logging.getLogger("uvicorn.access").disabled = True
    # httpx logs every request it sends at INFO through stdlib logging (~30 us of CPU per
    # gateway call); the gateway adapter logs its own attempts, with the payment id.
    for name in QUIET_CLIENT_LOGGERS:
        logging.getLogger(name).setLevel(max(level, logging.WARNING))
