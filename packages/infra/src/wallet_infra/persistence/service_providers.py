"""`ServiceProviders` on PostgreSQL, optionally through an APP-scoped `ProviderCache`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final
from uuid import UUID

from sqlalchemy import Row, bindparam, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from wallet_domain.model.provider import ServiceProvider
from wallet_domain.ports.service_providers import ServiceProviders

from wallet_infra.persistence.provider_cache import ProviderCache
from wallet_infra.persistence.tables import service_providers

_p = service_providers
_LIST_ACTIVE: Final = (
    select(_p.c.id, _p.c.name, _p.c.active).where(_p.c.active == true()).order_by(_p.c.name)
)
_GET_ACTIVE: Final = _LIST_ACTIVE.where(_p.c.id == bindparam("pid"))


def _provider(row: Row[tuple[UUID, str, bool]]) -> ServiceProvider:
    return ServiceProvider(id=row.id, name=row.name, active=row.active)


class SqlaServiceProviders(ServiceProviders):
    """Active providers. With a cache, one query per TTL serves every request."""

    def __init__(self, *, session: AsyncSession, cache: ProviderCache | None = None) -> None:
        self._session = session
        self._cache = cache

    async def get_active(self, provider_id: UUID) -> ServiceProvider | None:
        if self._cache is None:
            row = (await self._session.execute(_GET_ACTIVE, {"pid": provider_id})).first()
            return None if row is None else _provider(row)
        return (await self._cached()).get(provider_id)

    async def list_active(self) -> list[ServiceProvider]:
        if self._cache is None:
            return [_provider(row) for row in await self._session.execute(_LIST_ACTIVE)]
        return sorted((await self._cached()).values(), key=lambda p: p.name)

    async def _cached(self) -> Mapping[UUID, ServiceProvider]:
        assert self._cache is not None
        providers = self._cache.get()
        if providers is None:
            # Concurrent requests at expiry may each reload once; harmless for a tiny table.
            rows = await self._session.execute(_LIST_ACTIVE)
            providers = self._cache.put(_provider(row) for row in rows)
        return providers
