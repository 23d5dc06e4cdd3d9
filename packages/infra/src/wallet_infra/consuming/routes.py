"""The consumers' HTTP routes, served next to the subscriber by `AsgiFastStream`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from faststream.asgi import AsgiResponse, get
from faststream.asgi.handlers import GetHandler
from faststream.asgi.response import JSONResponse
from faststream.asgi.types import Scope
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from wallet_infra.health import HealthProbe

HealthSource = Callable[[], Awaitable[HealthProbe]]


def metrics_route(registry: CollectorRegistry) -> GetHandler:
    """`GET /metrics`: Prometheus text exposition of `registry`."""

    @get(include_in_schema=False)
    async def metrics(scope: Scope) -> AsgiResponse:
        return AsgiResponse(generate_latest(registry), 200, {"Content-Type": CONTENT_TYPE_LATEST})

    return metrics


def healthz_route(health: HealthSource) -> GetHandler:
    """`GET /healthz`: 200 when the broker is connected and the database answers, else
    503; the body names each check's state either way."""

    @get(include_in_schema=False)
    async def healthz(scope: Scope) -> AsgiResponse:
        result = await (await health()).check()
        status = "ok" if result.ok else "unavailable"
        return JSONResponse({"status": status, "checks": result.checks}, 200 if result.ok else 503)

    return healthz
