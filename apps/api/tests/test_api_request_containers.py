"""RequestContainers (middleware/request_containers.py): a request's own Dishka container
is built at its first REQUEST-scoped dependency, APP-scoped ones come from the app's
container, and what was built is closed at the request's end, with its exception."""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator
from typing import Any

import httpx
import pytest
from dishka import Provider, Scope, make_async_container, provide
from dishka.integrations.fastapi import FastapiProvider
from starlette.requests import Request
from starlette.types import Receive, Send
from starlette.types import Scope as AsgiScope
from wallet_api.middleware.request_containers import DISHKA_CONTAINER, RequestContainers


class _Ledger:
    """What the REQUEST scope built and closed, and with which exception."""

    def __init__(self) -> None:
        self.opened: list[str] = []
        self.closed: list[BaseException | None] = []


class _Per:
    """A REQUEST-scoped dependency that knows its request's path."""

    def __init__(self, path: str) -> None:
        self.path = path


def _provider(ledger: _Ledger) -> Provider:
    class _Deps(Provider):
        @provide(scope=Scope.APP)
        def shared(self) -> int:
            return 42

        @provide(scope=Scope.REQUEST)
        async def per_request(self, request: Request) -> AsyncGenerator[_Per, BaseException | None]:
            ledger.opened.append(request.url.path)
            error = yield _Per(request.url.path)  # dishka sends the closing exception in
            ledger.closed.append(error)

    return _Deps()


# The last request's container, for a look at it once the request is over.
_SEEN: list[Any] = []


async def _app(scope: AsgiScope, receive: Receive, send: Send) -> None:
    containers = scope["state"][DISHKA_CONTAINER]
    _SEEN[:] = [containers]
    body = b"%d" % await containers.get(int)
    if scope["path"] != "/app-only":
        body += b" " + (await containers.get(_Per)).path.encode()
    if scope["path"] == "/boom":
        raise RuntimeError("boom")
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": body})


@pytest.fixture
def ledger() -> _Ledger:
    return _Ledger()


@pytest.fixture
async def client(ledger: _Ledger) -> AsyncIterator[httpx.AsyncClient]:
    container = make_async_container(_provider(ledger), FastapiProvider())
    app: Any = RequestContainers(_app, container=container)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        yield client
    await container.close()


async def test_app_scoped_dependencies_build_no_request_container(
    client: httpx.AsyncClient, ledger: _Ledger
) -> None:
    response = await client.get("/app-only")
    assert response.text == "42"
    assert ledger.opened == []


async def test_a_request_scoped_dependency_opens_the_request_container_then_closes_it(
    client: httpx.AsyncClient, ledger: _Ledger
) -> None:
    assert (await client.get("/first")).text == "42 /first"
    assert (await client.get("/second")).text == "42 /second"
    assert ledger.opened == ["/first", "/second"]  # one per request, with its Request
    assert ledger.closed == [None, None]


async def test_the_exception_that_ended_the_request_reaches_the_finalizers(
    client: httpx.AsyncClient, ledger: _Ledger
) -> None:
    assert (await client.get("/boom")).status_code == 500
    [error] = ledger.closed
    assert isinstance(error, RuntimeError)


def test_only_the_app_scoped_container_is_taken(ledger: _Ledger) -> None:
    with pytest.raises(ValueError, match="APP-scoped"):
        RequestContainers(
            _app, container=make_async_container(_provider(ledger), FastapiProvider())()
        )


async def test_once_the_request_is_over_its_container_holds_no_request_and_builds_none(
    client: httpx.AsyncClient, ledger: _Ledger
) -> None:
    """Closed, it lets go of the scope (whose state holds it: a reference cycle the
    collector would have to find) and refuses to open a container for a request gone."""
    assert (await client.get("/first")).text == "42 /first"
    [request] = _SEEN

    assert request._request is None
    with pytest.raises(RuntimeError, match="the request is over"):
        await request.get(_Per)
    assert await request.get(int) == 42  # the app's dependencies are still the app's
    assert ledger.opened == ["/first"]
