"""POST /wallets/{user_id}/deposits (idempotent)."""

from __future__ import annotations

from dishka.integrations.fastapi import FromDishka
from fastapi import APIRouter
from starlette.responses import Response
from wallet_domain.use_cases.deposit import Deposit, DepositRequest

from wallet_api.http.replies import reply_response
from wallet_api.routes.params import IdempotencyKey, UserId
from wallet_api.routes.strict_route import StrictJsonRoute
from wallet_api.schemas.deposits import DepositIn
from wallet_api.schemas.errors import error_responses
from wallet_api.schemas.transactions import TransactionOut

router = APIRouter(route_class=StrictJsonRoute, tags=["deposits"])


@router.post(
    "/wallets/{user_id}/deposits",
    status_code=201,
    response_model=TransactionOut,
    responses=error_responses(404, 409, 413, 422),
)
async def deposit(
    user_id: UserId,
    body: DepositIn,
    use_case: FromDishka[Deposit],
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Credit the wallet with a COMPLETED DEPOSIT."""
    reply = await use_case.execute(
        DepositRequest(
            user_id=user_id,
            idempotency_key=idempotency_key,
            amount=body.amount,
            currency=body.currency,
            reference=body.reference,
        )
    )
    return reply_response(reply)
