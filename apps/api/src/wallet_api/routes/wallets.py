"""POST /wallets and GET /wallets/{user_id}."""

from __future__ import annotations

from dishka.integrations.fastapi import FromDishka
from fastapi import APIRouter
from starlette.responses import Response
from wallet_domain.use_cases.create_wallet import CreateWallet, CreateWalletRequest
from wallet_domain.use_cases.get_wallet import GetWallet, GetWalletRequest

from wallet_api.auth.principal import Principal
from wallet_api.http.balances import balance_json
from wallet_api.http.conditional import conditional_json, wallet_etag
from wallet_api.http.json import JsonResponse
from wallet_api.routes.params import IfNoneMatch, UserId
from wallet_api.routes.strict_route import StrictJsonRoute
from wallet_api.schemas.conditional import conditional_read_responses
from wallet_api.schemas.errors import error_responses
from wallet_api.schemas.wallets import CreateWalletIn, WalletOut, WalletWithBalancesOut

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


@router.get(
    "/wallets/{user_id}",
    response_model=WalletWithBalancesOut,
    responses=conditional_read_responses(404),
)
async def get_wallet(
    user_id: UserId, use_case: FromDishka[GetWallet], if_none_match: IfNoneMatch = None
) -> Response:
    """The wallet with, per currency, what is available, held, on its way in and owned.
    The ETag is the wallet's version (what `If-Match` on its writes compares with)."""
    view = await use_case.execute(GetWalletRequest(user_id=user_id))
    return conditional_json(
        {
            "user_id": view.wallet.user_id,
            "created_at": view.wallet.created_at,
            "balances": [balance_json(b) for b in view.balances],
        },
        if_none_match=if_none_match,
        etag=wallet_etag(view.version),
    )
