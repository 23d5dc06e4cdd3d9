"""GET /wallets/{user_id}/balance."""

from __future__ import annotations

from dishka.integrations.fastapi import FromDishka
from fastapi import APIRouter
from starlette.responses import Response
from wallet_domain.use_cases.get_balance import GetBalance, GetBalanceRequest

from wallet_api.http.balances import balance_json
from wallet_api.http.conditional import conditional_json, wallet_etag
from wallet_api.routes.params import CurrencyFilter, IfNoneMatch, UserId
from wallet_api.routes.strict_route import StrictJsonRoute
from wallet_api.schemas.balances import BalancesOut
from wallet_api.schemas.conditional import conditional_read_responses

router = APIRouter(route_class=StrictJsonRoute, tags=["balance"])


@router.get(
    "/wallets/{user_id}/balance",
    response_model=BalancesOut,
    responses=conditional_read_responses(404),
)
async def get_balance(
    user_id: UserId,
    use_case: FromDishka[GetBalance],
    currency: CurrencyFilter = None,
    if_none_match: IfNoneMatch = None,
) -> Response:
    """`available` can be spent; `pending_debit` (also `pending`) is held by payments awaiting
    an outcome and open holds; `pending_credit` is what pending deposits will bring;
    `total` = available + pending_debit. The ETag is the wallet's version, the same as
    GET /wallets/{user_id}'s (of the whole wallet, also with `currency`)."""
    read = await use_case.execute(GetBalanceRequest(user_id=user_id, currency=currency))
    return conditional_json(
        {
            "user_id": user_id,
            "balances": [{**balance_json(b), "pending": b.pending} for b in read.balances],
        },
        if_none_match=if_none_match,
        etag=wallet_etag(read.version),
    )
