"""An APP-scoped, time-limited snapshot of the active service providers.

Providers are reference data changed only by migrations, and `get_active` sits on the
payment hot path, so one query every `ttl_s` seconds serves every request. The cache
holds plain domain objects, never a session: each request's adapter refills it through
its own session when it has expired. Caching the whole (small) set, rather than one entry
per id asked for, also answers unknown ids without a query and bounds memory.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from types import MappingProxyType
from typing import Final
from uuid import UUID

from wallet_domain.model.provider import ServiceProvider

DEFAULT_TTL_S: Final = 30.0


class ProviderCache:
    """Holds the last loaded set of active providers until it is `ttl_s` old."""

    def __init__(
        self, *, ttl_s: float = DEFAULT_TTL_S, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._ttl_s = ttl_s
        self._clock = clock
        self._providers: Mapping[UUID, ServiceProvider] | None = None
        self._expires_at = 0.0

    def get(self) -> Mapping[UUID, ServiceProvider] | None:
        """The cached providers by id, or None if never loaded or expired."""
        if self._providers is None or self._clock() >= self._expires_at:
            return None
        return self._providers

    def put(self, providers: Iterable[ServiceProvider]) -> Mapping[UUID, ServiceProvider]:
        snapshot = MappingProxyType({p.id: p for p in providers if p.active})
        self._providers = snapshot
        self._expires_at = self._clock() + self._ttl_s
        return snapshot

    def invalidate(self) -> None:
        self._providers = None
