"""GET /wallets/{user_id}/transactions (keyset pagination, newest first)."""

from __future__ import annotations

from dishka.integrations.fastapi import FromDishka
from fastapi import APIRouter
from starlette.responses import Response
from wallet_domain.model.pagination import DEFAULT_PAGE_SIZE
from wallet_domain.use_cases.list_transactions import ListTransactions, ListTransactionsRequest

from wallet_api.http.pages import page_response
from wallet_api.http.transactions import transaction_json
from wallet_api.routes.params import (
    LAG_TOLERANT,
    CurrencyFilter,
    PageCursor,
    PageLimit,
    StatusFilter,
    TypeFilter,
    UserId,
)
from wallet_api.routes.strict_route import StrictJsonRoute
from wallet_api.schemas.errors import error_responses
from wallet_api.schemas.transactions import TransactionPage

router = APIRouter(route_class=StrictJsonRoute, tags=["transactions"])


@router.get(
    "/wallets/{user_id}/transactions",
    response_model=TransactionPage,
    responses=error_responses(404),
    dependencies=LAG_TOLERANT,
)
async def list_transactions(
    user_id: UserId,
    use_case: FromDishka[ListTransactions],
    limit: PageLimit = DEFAULT_PAGE_SIZE,
    cursor: PageCursor = None,
    type_: TypeFilter = None,
    status: StatusFilter = None,
    currency: CurrencyFilter = None,
) -> Response:
    """A page of the ledger; pass `next_cursor` back as `cursor` until it is null."""
    page = await use_case.execute(
        ListTransactionsRequest(
            user_id=user_id,
            limit=limit,
            cursor=cursor,
            type=type_,
            status=status,
            currency=currency,
        )
    )
    return page_response(page, transaction_json)
