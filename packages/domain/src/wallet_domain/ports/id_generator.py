from __future__ import annotations

from typing import Protocol
from uuid import UUID


class IdGenerator(Protocol):
    """New identifiers: UUIDv7, so ids sort by creation time."""

    def new_id(self) -> UUID: ...
