"""Process-wide logging state, saved and restored around each test.

Building an app calls configure_logging, which changes process-wide state: structlog's
configuration (a level filter, loggers cached on first use) and the stdlib root and
uvicorn loggers. Left in place, it decides what later tests log and capture, so the root
conftest makes every test start and end with the logging state the session started with:
structlog's defaults, and those stdlib loggers as they were.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
import structlog
from wallet_infra.logging_setup import UVICORN_LOGGERS

SavedLoggers = dict[str, "StdlibLoggerState"]


@dataclass(frozen=True, slots=True)
class StdlibLoggerState:
    handlers: list[logging.Handler]
    level: int
    propagate: bool
    disabled: bool

    @classmethod
    def of(cls, logger: logging.Logger) -> StdlibLoggerState:
        return cls(logger.handlers[:], logger.level, logger.propagate, logger.disabled)

    def restore(self, logger: logging.Logger) -> None:
        logger.handlers = self.handlers[:]
        logger.setLevel(self.level)
        logger.propagate = self.propagate
        logger.disabled = self.disabled


@contextmanager
def uncached_structlog() -> Iterator[SavedLoggers]:
    """The root and uvicorn loggers as they are now (pytest's capture handlers on the root
    included); inside the block, structlog caches no logger."""
    configure = structlog.configure

    def configure_uncached(**settings: Any) -> None:
        # A logger cached on first use keeps the level filter and processor list it was
        # built with: one first used under a warning-level app would hide later tests'
        # info lines from capture_logs whatever configuration they restore. Production
        # keeps its caching; tests only give up the speed-up.
        configure(**{**settings, "cache_logger_on_first_use": False})

    names = ("", *UVICORN_LOGGERS)  # "" is the root logger
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(structlog, "configure", configure_uncached)
        yield {name: StdlibLoggerState.of(logging.getLogger(name)) for name in names}


def restore_logging(saved: SavedLoggers) -> None:
    """structlog's defaults, and the saved stdlib loggers as they were."""
    structlog.reset_defaults()
    for name, state in saved.items():
        state.restore(logging.getLogger(name))
