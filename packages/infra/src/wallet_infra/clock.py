"""The system clock: wall-clock time in UTC, timezone-aware."""

from __future__ import annotations

from datetime import UTC, datetime

from wallet_domain.ports.clock import Clock


class SystemClock(Clock):
    def now(self) -> datetime:
        return datetime.now(UTC)
