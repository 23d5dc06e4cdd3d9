"""GET /wallets/{user_id}/balance."""

from __future__ import annotations

from dishka.integrations.fastapi import FromDishka
from fastapi import APIRouter
from starlette.responses import Response
from wallet_domain.use_cases.get_balance import GetBalance, GetBalanceRequest

from wallet_api.http.balances import balance_json
from wallet_api.http.json import JsonResponse
from wallet_api.routes.params import CurrencyFilter, UserId
from wallet_api.routes.strict_route import StrictJsonRoute
from wallet_api.schemas.balances import BalancesOut
from wallet_api.schemas.errors import error_responses

router = APIRouter(route_class=StrictJsonRoute, tags=["balance"])


@router.get(
    "/wallets/{user_id}/balance", response_model=BalancesOut, responses=error_responses(404)
)
async def get_balance(
    user_id: UserId, use_case: FromDishka[GetBalance], currency: CurrencyFilter = None
) -> Response:
    """`available` can be spent; `pending_debit` (also `pending`) is held by payments awaiting
    an outcome and open holds; `pending_credit` is what pending deposits will bring;
    `total` = available + pending_debit."""
    balances = await use_case.execute(GetBalanceRequest(user_id=user_id, currency=currency))
    return JsonResponse(
        {
            "user_id": user_id,
            "balances": [{**balance_json(b), "pending": b.pending} for b in balances],
        }
    )
