"""GET /healthz (liveness: no dependencies) and GET /readyz (database, broker, schema)."""

from __future__ import annotations

from typing import Any, Final

from dishka.integrations.fastapi import FromDishka
from fastapi import APIRouter
from starlette.responses import Response
from wallet_infra.health import HealthProbe

from wallet_api.http.json import JsonResponse
from wallet_api.routes.strict_route import StrictJsonRoute
from wallet_api.schemas.health import HealthOut, ReadinessOut

router = APIRouter(route_class=StrictJsonRoute, tags=["health"])
_PUBLIC: Final[dict[str, Any]] = {"security": []}


@router.get("/healthz", response_model=HealthOut, openapi_extra=_PUBLIC)
async def healthz() -> Response:
    return JsonResponse({"status": "ok"})


@router.get(
    "/readyz",
    response_model=ReadinessOut,
    responses={503: {"model": ReadinessOut, "description": "a check failed"}},
    openapi_extra=_PUBLIC,
)
async def readyz(probe: FromDishka[HealthProbe]) -> Response:
    """200 when every check is `ok`; 503 naming the failed check otherwise."""
    readiness = await probe.check()
    status = "ready" if readiness.ok else "not_ready"
    return JsonResponse(
        {"status": status, "checks": readiness.checks}, 200 if readiness.ok else 503
    )
