"""APP-scoped dependencies a subscriber uses on every delivery, resolved once at start-up.

A consumer's use case, adapters and delivery handler live as long as the process (its
writes are single statements on the pool, batched across deliveries; nothing is
per-delivery state). Taking them from the container once, when the app starts and
before the broker consumes, spares every delivery a request container and `@inject`'s
parameter resolution: together about half of a bare FastStream delivery's CPU.

The subscriber is still registered when the app is built (its AsyncAPI description does
not need a container); it asks for what it needs with `later(Type)` and calls the
returned handle on each delivery.
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from dishka import AsyncContainer

T = TypeVar("T")


class Later(Generic[T]):
    """`handle()` is the resolved object; calling it before start-up is a bug."""

    __slots__ = ("_key", "_value")

    def __init__(self, key: type[T]) -> None:
        self._key = key
        self._value: T | None = None

    def __call__(self) -> T:
        if self._value is None:
            raise RuntimeError(f"{self._key.__name__} used before the app started")
        return self._value

    async def resolve(self, container: AsyncContainer) -> None:
        self._value = await container.get(self._key)


class StartupDependencies:
    """What one app's subscribers asked for; `resolve` fills every handle."""

    def __init__(self) -> None:
        self._handles: list[Later[Any]] = []

    def later(self, key: type[T]) -> Later[T]:
        handle = Later(key)
        self._handles.append(handle)
        return handle

    async def resolve(self, container: AsyncContainer) -> None:
        for handle in self._handles:
            await handle.resolve(container)
