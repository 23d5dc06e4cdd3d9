"""SqlaServiceProviders against the seeded reference data, with and without ProviderCache."""

from __future__ import annotations

from typing import Final
from unittest.mock import create_autospec
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from wallet_domain.model.provider import ServiceProvider
from wallet_infra.persistence.provider_cache import ProviderCache
from wallet_infra.persistence.service_providers import SqlaServiceProviders

CITY_POWER: Final = ServiceProvider(
    id=UUID("01890a5d-ac96-774b-bcce-b302099a8057"), name="City Power & Light", active=True
)
RETIRED_ID: Final = UUID("01890a5d-ac96-7c3e-8f60-8d5b1e4a7f04")
SEEDED_ACTIVE: Final = [
    "City Power & Light",
    "FiberNet Internet",
    "Metro Water Utility",
    "Nimbus Mobile",
]


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def failing_session() -> AsyncSession:
    session = create_autospec(AsyncSession, instance=True)
    refused = AssertionError("the cache should have answered")
    session.execute.side_effect = refused
    session.in_transaction.side_effect = refused  # what a driver statement asks first
    return session  # type: ignore[no-any-return]


async def test_only_active_providers_are_listed_by_name(session: AsyncSession) -> None:
    providers = SqlaServiceProviders(db=session)

    listed = await providers.list_active()

    assert [p.name for p in listed] == SEEDED_ACTIVE
    assert all(p.active and type(p.id) is UUID for p in listed)
    assert await providers.get_active(CITY_POWER.id) == CITY_POWER
    assert await providers.get_active(RETIRED_ID) is None
    assert await providers.get_active(UUID(int=0)) is None


async def test_a_fresh_cache_answers_without_the_database(session: AsyncSession) -> None:
    cache = ProviderCache(ttl_s=30, clock=FakeClock())
    loaded = await SqlaServiceProviders(db=session, cache=cache).list_active()

    cached = SqlaServiceProviders(db=failing_session(), cache=cache)

    assert await cached.list_active() == loaded
    assert await cached.get_active(CITY_POWER.id) == CITY_POWER
    assert await cached.get_active(RETIRED_ID) is None
    assert await cached.get_active(UUID(int=0)) is None


async def test_an_expired_cache_reloads_through_the_session(session: AsyncSession) -> None:
    clock = FakeClock()
    cache = ProviderCache(ttl_s=30, clock=clock)
    assert await SqlaServiceProviders(db=session, cache=cache).get_active(CITY_POWER.id)

    clock.now += 30
    assert cache.get() is None
    assert (
        await SqlaServiceProviders(db=session, cache=cache).get_active(CITY_POWER.id) == CITY_POWER
    )
    assert cache.get() is not None

    cache.invalidate()
    assert cache.get() is None


async def test_providers_on_the_engine_read_on_the_pool(engine: AsyncEngine) -> None:
    """Built on the engine (the unconditional payment's): no session, same answers."""
    cache = ProviderCache(ttl_s=30, clock=FakeClock())
    uncached, cached = SqlaServiceProviders(db=engine), SqlaServiceProviders(db=engine, cache=cache)
    for providers in (uncached, cached):
        assert [p.name for p in await providers.list_active()] == SEEDED_ACTIVE
        assert await providers.get_active(CITY_POWER.id) == CITY_POWER
        assert await providers.get_active(RETIRED_ID) is None
