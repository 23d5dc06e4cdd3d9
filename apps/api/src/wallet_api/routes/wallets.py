"""POST /wallets."""

from __future__ import annotations

from dishka.integrations.fastapi import FromDishka
from fastapi import APIRouter
from starlette.responses import Response
from wallet_domain.use_cases.create_wallet import CreateWallet, CreateWalletRequest

from wallet_api.auth.principal import Principal
from wallet_api.http.json import JsonResponse
from wallet_api.routes.strict_route import StrictJsonRoute
from wallet_api.schemas.errors import error_responses
from wallet_api.schemas.wallets import CreateWalletIn, WalletOut

router = APIRouter(route_class=StrictJsonRoute, tags=["wallets"])


@router.post(
    "/wallets", status_code=201, response_model=WalletOut, responses=error_responses(404, 409, 413)
)
async def create_wallet(
    body: CreateWalletIn, principal: FromDishka[Principal], use_case: FromDishka[CreateWallet]
) -> Response:
    """Create the wallet of `user_id`. A key scoped to another user gets 404."""
    principal.ensure_can_access(body.user_id)
    wallet = await use_case.execute(CreateWalletRequest(user_id=body.user_id))
    return JsonResponse({"user_id": wallet.user_id, "created_at": wallet.created_at}, 201)
