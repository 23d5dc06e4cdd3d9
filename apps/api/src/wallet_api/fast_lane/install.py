"""Which routes take the fast lane, and where it sits among the middlewares."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.routing import APIRoute

from wallet_api.fast_lane import balances, holds, payments, transactions
from wallet_api.fast_lane.lane import FastLane, LaneHandler, LaneRoute

# (method, route path, handler): the routes whose every request is worth the lane.
LANES: list[tuple[str, str, LaneHandler]] = [
    ("POST", "/wallets/{user_id}/payments", payments.pay),
    ("GET", "/wallets/{user_id}/balance", balances.get_balance),
    ("GET", "/wallets/{user_id}/transactions", transactions.list_transactions),
    ("POST", "/wallets/{user_id}/holds", holds.create_hold),
    ("POST", "/wallets/{user_id}/holds/{hold_id}/complete", holds.complete_hold),
    ("POST", "/wallets/{user_id}/holds/{hold_id}/revert", holds.revert_hold),
]


def _route(app: FastAPI, method: str, path: str) -> APIRoute:
    for route in app.router.routes:
        if isinstance(route, APIRoute) and route.path == path and method in (route.methods or ()):
            return route
    raise LookupError(f"no {method} {path} route to put in the fast lane")


def install_fast_lane(app: FastAPI) -> None:
    """Call after the routes are added and before install_request_containers: the lane is then the
    innermost middleware, inside the request containers it hands to the handlers.

    The lane's routes also move to the front of the app's route list: FastAPI's router,
    walking that list route by route for the requests the lane passes on, then finds
    them first. No two routes match one path (test_api_routing.py), so the order decides
    nothing else."""
    routes = [
        LaneRoute(method, _route(app, method, path), handler) for method, path, handler in LANES
    ]
    app.add_middleware(FastLane, routes=routes)
    hot = [lane.route for lane in routes]
    rest = [route for route in app.router.routes if all(route is not h for h in hot)]
    app.router.routes[:] = [*hot, *rest]
