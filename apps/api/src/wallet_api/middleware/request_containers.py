"""Dishka's request container, built only when a request first asks for something it
holds.

Dishka's own middleware (`setup_dishka`) enters a REQUEST-scoped container for every
request: a Starlette `Request`, the container and its exit, whether or not the request
resolves anything from it. Many resolve nothing request-scoped: probes, every refusal
of the edge (401, 429, 413), and a balance read, whose use case is built once per
process. Here `request.state.dishka_container` (where FromDishka and the fast lane look)
is a `RequestContainer`: an APP-scoped dependency comes from the app's container, as the
request container would hand it over anyway; the first REQUEST-scoped one opens the
request's container, exactly as Dishka's middleware would have, and the request's end
closes it (with the exception that ended it, if any, for the finalizers).
"""

from __future__ import annotations

from typing import Any, Final

from dishka import DEFAULT_COMPONENT, AsyncContainer, Component
from dishka import Scope as DIScope
from fastapi import FastAPI
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

# Where dishka's FastAPI integration (FromDishka) reads the request's container.
DISHKA_CONTAINER: Final = "dishka_container"


class RequestContainer:
    """The request's view of the containers: `get` as on Dishka's AsyncContainer."""

    __slots__ = ("_app", "_app_scoped", "_container", "_request")

    def __init__(
        self,
        app: AsyncContainer,
        app_scoped: dict[Any, bool],
        scope: Scope,
        receive: Receive,
        send: Send,
    ) -> None:
        self._app = app
        self._app_scoped = app_scoped
        # What the request container's `Request` is made of, until the request is over.
        self._request: tuple[Scope, Receive, Send] | None = (scope, receive, send)
        self._container: AsyncContainer | None = None

    async def get(
        self, dependency_type: Any, component: Component | None = DEFAULT_COMPONENT
    ) -> Any:
        if component == DEFAULT_COMPONENT and self._is_app_scoped(dependency_type):
            return await self._app.get(dependency_type)
        container = self._container
        if container is None:
            if self._request is None:
                raise RuntimeError("the request is over: its container is closed")
            request = Request(*self._request)
            container = self._container = self._app({Request: request}, scope=DIScope.REQUEST)
        return await container.get(dependency_type, component)

    async def close(self, exception: BaseException | None) -> None:
        """Closes the request container, if one was opened. The scope's state holds this
        object, so the scope, the server's receive and send and the request container
        are let go of here: held, they form a reference cycle that only the garbage
        collector frees, a dozen objects per request kept until its next pass."""
        self._request = None
        container, self._container = self._container, None
        if container is not None:
            await container.close(exception)

    def _is_app_scoped(self, dependency_type: Any) -> bool:
        known = self._app_scoped.get(dependency_type)
        if known is None:
            # The app container's registry holds the APP scope's factories only.
            known = self._app.registry.get_compiled_async(dependency_type) is not None
            self._app_scoped[dependency_type] = known
        return known


class RequestContainers:
    """Puts a `RequestContainer` on each HTTP request, closes what it opened at the end."""

    def __init__(self, app: ASGIApp, *, container: AsyncContainer) -> None:
        if container.registry.scope is not DIScope.APP:
            raise ValueError("the app's container must be the APP-scoped one")
        self.app = app
        self._container = container
        # Decided once per dependency type: the registries do not change once built.
        self._app_scoped: dict[Any, bool] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = RequestContainer(self._container, self._app_scoped, scope, receive, send)
        scope.setdefault("state", {})[DISHKA_CONTAINER] = request
        try:
            await self.app(scope, receive, send)
        except BaseException as error:
            await request.close(error)
            raise
        await request.close(None)


def install_request_containers(app: FastAPI, container: AsyncContainer) -> None:
    """What `setup_dishka` does, with `RequestContainers` for Dishka's middleware: the app
    keeps its container as `app.state.dishka_container`."""
    app.add_middleware(RequestContainers, container=container)
    app.state.dishka_container = container
