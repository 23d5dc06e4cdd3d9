"""Fake of the `ServiceProviders` port."""

from __future__ import annotations

from uuid import UUID

from wallet_domain.model.provider import ServiceProvider
from wallet_domain.ports.service_providers import ServiceProviders

from wallet_testkit.fakes.store import InMemoryDatabase


class FakeServiceProviders(ServiceProviders):
    """Reference data: read straight from the database, outside any unit of work."""

    def __init__(self, db: InMemoryDatabase) -> None:
        self._db = db

    async def get_active(self, provider_id: UUID) -> ServiceProvider | None:
        provider = self._db.providers.get(provider_id)
        return provider if provider is not None and provider.active else None

    async def list_active(self) -> list[ServiceProvider]:
        return sorted((p for p in self._db.providers.values() if p.active), key=lambda p: p.name)
