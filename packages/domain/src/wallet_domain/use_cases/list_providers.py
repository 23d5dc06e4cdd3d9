"""List who can be paid."""

from __future__ import annotations

from dataclasses import dataclass

from wallet_domain.model.provider import ServiceProvider
from wallet_domain.ports.service_providers import ServiceProviders


@dataclass(frozen=True, slots=True, kw_only=True)
class ListProviders:
    """Active service providers only; inactive ones cannot be paid."""

    providers: ServiceProviders

    async def execute(self) -> list[ServiceProvider]:
        return await self.providers.list_active()
