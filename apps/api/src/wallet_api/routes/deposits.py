"""POST /wallets/{user_id}/deposits (idempotent), and completing or reverting a pending one."""

from __future__ import annotations

from uuid import UUID

from dishka.integrations.fastapi import FromDishka
from fastapi import APIRouter
from starlette.responses import Response
from wallet_domain.model.transaction import TransactionStatus
from wallet_domain.use_cases.deposit import Deposit, DepositRequest
from wallet_domain.use_cases.settle_deposit import SettleDeposit, SettleDepositRequest

from wallet_api.http.access_fields import add_moved_money
from wallet_api.http.conditional import wallet_condition
from wallet_api.http.replies import reply_response
from wallet_api.routes.params import OPTIONAL_KEY, IdempotencyKey, IfMatch, UserId
from wallet_api.routes.strict_route import StrictJsonRoute
from wallet_api.schemas.base import NoBody
from wallet_api.schemas.deposits import DepositIn
from wallet_api.schemas.errors import error_responses
from wallet_api.schemas.transactions import TransactionOut

router = APIRouter(route_class=StrictJsonRoute, tags=["deposits"])


@router.post(
    "/wallets/{user_id}/deposits",
    status_code=201,
    response_model=TransactionOut,
    responses=error_responses(404, 409, 412, 413, 422),
)
async def deposit(
    user_id: UserId,
    body: DepositIn,
    use_case: FromDishka[Deposit],
    idempotency_key: IdempotencyKey = None,
    if_match: IfMatch = None,
) -> Response:
    """Credit the wallet with a COMPLETED DEPOSIT, or with `two_phase` announce a PENDING
    one: `pending_credit`, not spendable until completed."""
    reply = await use_case.execute(
        DepositRequest(
            user_id=user_id,
            idempotency_key=idempotency_key,
            amount=body.amount,
            currency=body.currency,
            reference=body.reference,
            two_phase=body.two_phase,
            if_match=wallet_condition(if_match),
        )
    )
    add_moved_money(reply, "transaction_id", amount=body.amount, currency=body.currency)
    return reply_response(reply)


@router.post(
    "/wallets/{user_id}/deposits/{deposit_id}/complete",
    response_model=TransactionOut,
    responses=error_responses(404, 409, 412, 413, 422),
    openapi_extra={OPTIONAL_KEY: True},
)
async def complete_deposit(
    user_id: UserId,
    deposit_id: UUID,
    use_case: FromDishka[SettleDeposit],
    body: NoBody | None = None,
    idempotency_key: IdempotencyKey = None,
    if_match: IfMatch = None,
) -> Response:
    """Make a PENDING deposit available: COMPLETED."""
    del body  # refused unless empty
    return await _settle(
        use_case, user_id, deposit_id, TransactionStatus.COMPLETED, idempotency_key, if_match
    )


@router.post(
    "/wallets/{user_id}/deposits/{deposit_id}/revert",
    response_model=TransactionOut,
    responses=error_responses(404, 409, 412, 413, 422),
    openapi_extra={OPTIONAL_KEY: True},
)
async def revert_deposit(
    user_id: UserId,
    deposit_id: UUID,
    use_case: FromDishka[SettleDeposit],
    body: NoBody | None = None,
    idempotency_key: IdempotencyKey = None,
    if_match: IfMatch = None,
) -> Response:
    """Drop a PENDING deposit: REVERTED, never spendable."""
    del body  # refused unless empty
    return await _settle(
        use_case, user_id, deposit_id, TransactionStatus.REVERTED, idempotency_key, if_match
    )


async def _settle(
    use_case: SettleDeposit,
    user_id: str,
    deposit_id: UUID,
    to: TransactionStatus,
    idempotency_key: str | None,
    if_match: str | None,
) -> Response:
    request = SettleDepositRequest(
        user_id=user_id,
        deposit_id=deposit_id,
        to=to,
        idempotency_key=idempotency_key,
        if_match=wallet_condition(if_match),
    )
    return reply_response(await use_case.execute(request))
