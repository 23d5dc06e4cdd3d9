"""`ServiceProviders` on PostgreSQL, optionally through an APP-scoped `ProviderCache`.

Each read is one statement on the driver, so the adapter can be built on a session (its
open transaction joined, if any) or on the engine (one adapter for the whole process)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final
from uuid import UUID

from sqlalchemy import bindparam, select, true
from wallet_domain.model.provider import ServiceProvider
from wallet_domain.ports.service_providers import ServiceProviders

from wallet_infra.persistence.driver import DriverStatement, StatementTarget, fetch, fetchrow
from wallet_infra.persistence.provider_cache import ProviderCache
from wallet_infra.persistence.std_uuid import std_uuid
from wallet_infra.persistence.tables import service_providers

_p = service_providers
_list_active: Final = (
    select(_p.c.id, _p.c.name, _p.c.active).where(_p.c.active == true()).order_by(_p.c.name)
)
_LIST_ACTIVE: Final = DriverStatement(_list_active)
_GET_ACTIVE: Final = DriverStatement(_list_active.where(_p.c.id == bindparam("pid")))


def _provider(row: Any) -> ServiceProvider:
    """An asyncpg record (its uuid type is asyncpg's own: compared and hashed as a uuid)."""
    return ServiceProvider(id=std_uuid(row["id"]), name=row["name"], active=row["active"])


class SqlaServiceProviders(ServiceProviders):
    """Active providers. With a cache, one query per TTL serves every request."""

    def __init__(self, *, db: StatementTarget, cache: ProviderCache | None = None) -> None:
        self._db = db
        self._cache = cache

    async def get_active(self, provider_id: UUID) -> ServiceProvider | None:
        if self._cache is None:
            row = await fetchrow(
                self._db, "service_providers.get", _GET_ACTIVE, {"pid": provider_id}
            )
            return None if row is None else _provider(row)
        return (await self._cached()).get(provider_id)

    async def list_active(self) -> list[ServiceProvider]:
        if self._cache is None:
            return [_provider(row) for row in await self._all()]
        return sorted((await self._cached()).values(), key=lambda p: p.name)

    async def _cached(self) -> Mapping[UUID, ServiceProvider]:
        assert self._cache is not None
        providers = self._cache.get()
        if providers is None:
            # Concurrent requests at expiry may each reload once; harmless for a tiny table.
            providers = self._cache.put(_provider(row) for row in await self._all())
        return providers

    async def _all(self) -> list[Any]:
        return await fetch(self._db, "service_providers.list", _LIST_ACTIVE, {})
