"""Service providers (reference data loaded by a migration)."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID


@dataclass(frozen=True, slots=True, kw_only=True)
class ServiceProvider:
    id: UUID
    name: str
    active: bool
