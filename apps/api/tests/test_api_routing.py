"""How requests reach the handlers: every route sits in the app's own route list (no
included-router nodes to walk per request), and nothing FastAPI would run in a worker
thread per request (a plain `def` endpoint or dependency) is on any route."""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
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


def test_every_route_is_in_the_apps_own_route_list() -> None:
    settings = Settings.model_validate(
        {
            "database_url": "postgresql://x@localhost/x",
            "api_metrics_public": True,
            "webhook_mode": "sync",
        }
    )
    app = make_app(settings=settings)
    flat = {id(route) for route in app.router.routes}
    assert all(id(route) in flat for route in _api_routes())
