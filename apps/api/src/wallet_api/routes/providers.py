"""GET /providers."""

from __future__ import annotations

from dishka.integrations.fastapi import FromDishka
from fastapi import APIRouter
from starlette.responses import Response
from wallet_domain.use_cases.list_providers import ListProviders

from wallet_api.http.json import JsonResponse
from wallet_api.routes.strict_route import StrictJsonRoute
from wallet_api.schemas.errors import error_responses
from wallet_api.schemas.providers import ProvidersOut

router = APIRouter(route_class=StrictJsonRoute, tags=["providers"])


@router.get("/providers", response_model=ProvidersOut, responses=error_responses())
async def list_providers(use_case: FromDishka[ListProviders]) -> Response:
    """The service providers that can be paid (inactive ones are not listed)."""
    providers = await use_case.execute()
    return JsonResponse({"items": [{"id": p.id, "name": p.name} for p in providers]})
