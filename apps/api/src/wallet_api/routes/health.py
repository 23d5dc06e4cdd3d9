"""GET /healthz (liveness: no dependencies) and GET /readyz (database, broker, schema;
read replicas as details)."""

from __future__ import annotations

from math import isfinite
from typing import Any, Final

from dishka.integrations.fastapi import FromDishka
from fastapi import APIRouter
from starlette.responses import Response
from wallet_infra.health import HealthProbe
from wallet_infra.read_replicas.replica_set import Replica, ReplicaSet

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
async def readyz(probe: FromDishka[HealthProbe], replicas: FromDishka[ReplicaSet]) -> Response:
    """200 when every check is `ok`; 503 naming the failed check otherwise. Read replicas
    are listed as last checked, and never make it 503."""
    readiness = await probe.check()
    status = "ready" if readiness.ok else "not_ready"
    body = {
        "status": status,
        "checks": readiness.checks,
        "replicas": [replica_json(replicas, replica) for replica in replicas.replicas],
    }
    return JsonResponse(body, 200 if readiness.ok else 503)


def replica_json(replicas: ReplicaSet, replica: Replica) -> dict[str, Any]:
    measured = replica.up and isfinite(replica.lag_s)
    return {
        "replica": replica.label,
        "up": replica.up,
        "lag_ms": round(replica.lag_s * 1000, 1) if measured else None,
        "in_use": replicas.in_use(replica),
    }
