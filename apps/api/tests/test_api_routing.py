"""How requests reach the handlers: every route sits in the app's own route list (no
included-router nodes to walk per request), the fast lane's first, no path matches two
routes, and nothing FastAPI would run in a worker thread per request (a plain `def`
endpoint or dependency) is on any route."""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from starlette.routing import Match, Route
from wallet_api.fast_lane.install import LANES
from wallet_api.main import make_app
from wallet_api.routes import PUBLIC_METRICS_ROUTER, ROUTERS, WEBHOOKS_ROUTER
from wallet_infra.config.settings import Settings


def _calls(dependant: Dependant) -> Iterator[Any]:
    if dependant.call is not None:
        yield dependant.call
    for sub in dependant.dependencies:
        yield from _calls(sub)


def _api_routes() -> list[APIRoute]:
    routers = (*ROUTERS, PUBLIC_METRICS_ROUTER, WEBHOOKS_ROUTER)
    return [route for router in routers for route in router.routes if isinstance(route, APIRoute)]


@pytest.mark.parametrize("route", _api_routes(), ids=lambda r: f"{sorted(r.methods)} {r.path}")
def test_no_route_runs_a_plain_function_in_a_thread(route: APIRoute) -> None:
    plain = [
        call.__qualname__
        for call in _calls(route.dependant)
        if not inspect.iscoroutinefunction(call)
    ]
    assert plain == [], f"{route.path}: make these async: {plain}"


def _app_with_every_route() -> FastAPI:
    settings = Settings.model_validate(
        {
            "database_url": "postgresql://x@localhost/x",
            "api_metrics_public": True,
            "webhook_mode": "sync",
        }
    )
    return make_app(settings=settings)


def test_every_route_is_in_the_apps_own_route_list() -> None:
    flat = {id(route) for route in _app_with_every_route().router.routes}
    assert all(id(route) in flat for route in _api_routes())


def test_no_path_matches_two_routes_so_their_order_decides_nothing() -> None:
    """The fast lane moves its routes to the front of the list; that is only safe while
    no request could match an earlier route that is not its own."""
    routes = [r for r in _app_with_every_route().router.routes if isinstance(r, Route)]
    for route in routes:
        path = re.sub(r"\{\w+\}", "x-1", route.path)
        for method in sorted(route.methods or ()):
            scope = {"type": "http", "method": method, "path": path, "root_path": ""}
            first = next(r for r in routes if r.matches(scope)[0] is Match.FULL)
            assert first is route, f"{method} {path}: {first.path} answers before {route.path}"


def test_the_fast_lanes_routes_come_first() -> None:
    routes = _app_with_every_route().router.routes
    assert [(sorted(r.methods), r.path) for r in routes[: len(LANES)]] == [  # type: ignore[attr-defined]
        ([method], path) for method, path, _ in LANES
    ]
