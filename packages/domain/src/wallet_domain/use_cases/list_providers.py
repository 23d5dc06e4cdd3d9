"""List who can be paid."""

from __future__ import annotations

from wallet_domain.model.provider import ServiceProvider
from wallet_domain.ports.service_providers import ServiceProviders


class ListProviders:
    """Active service providers only; inactive ones cannot be paid."""

    def __init__(self, *, providers: ServiceProviders) -> None:
        self._providers = providers

    async def execute(self) -> list[ServiceProvider]:
        return await self._providers.list_active()
