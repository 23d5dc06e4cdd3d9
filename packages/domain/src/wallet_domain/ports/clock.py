from __future__ import annotations

from datetime import datetime
from typing import Protocol


class Clock(Protocol):
    """Wall-clock time, UTC and timezone-aware."""

    def now(self) -> datetime: ...
