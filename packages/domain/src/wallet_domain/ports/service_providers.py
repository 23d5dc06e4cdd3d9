from __future__ import annotations

from typing import Protocol
from uuid import UUID

from wallet_domain.model.provider import ServiceProvider


class ServiceProviders(Protocol):
    """Reference data: who can be paid."""

    async def get_active(self, provider_id: UUID) -> ServiceProvider | None: ...

    async def list_active(self) -> list[ServiceProvider]: ...
