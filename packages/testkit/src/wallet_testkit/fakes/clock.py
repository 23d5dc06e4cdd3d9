"""A clock tests move by hand and ids in sequence (the `Clock` and `IdGenerator` ports)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Final
from uuid import UUID

from wallet_domain.ports.clock import Clock
from wallet_domain.ports.id_generator import IdGenerator

EPOCH: Final = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)


class FixedClock(Clock):
    def __init__(self, now: datetime = EPOCH) -> None:
        self.current = now

    def now(self) -> datetime:
        return self.current

    def advance(self, delta: timedelta) -> None:
        self.current += delta


class SequentialIds(IdGenerator):
    """Version-7-shaped UUIDs that sort in the order they were issued."""

    def __init__(self) -> None:
        self.issued: list[UUID] = []

    def new_id(self) -> UUID:
        new = UUID(f"01900000-0000-7000-8000-{len(self.issued) + 1:012x}")
        self.issued.append(new)
        return new
