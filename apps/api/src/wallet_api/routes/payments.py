"""POST /wallets/{user_id}/payments (idempotent) and GET .../payments/{payment_id}."""

from __future__ import annotations

from typing import NewType
from uuid import UUID

from dishka.integrations.fastapi import FromDishka
from fastapi import APIRouter
from starlette.responses import Response
from wallet_domain.deadline import Deadline
from wallet_domain.use_cases.get_payment import GetPayment, GetPaymentRequest
from wallet_domain.use_cases.pay import Pay, PayRequest

from wallet_api.http.access_fields import add_moved_money
from wallet_api.http.conditional import conditional_json, wallet_condition
from wallet_api.http.replies import reply_response
from wallet_api.http.transactions import transaction_json
from wallet_api.routes.params import LAG_TOLERANT, IdempotencyKey, IfMatch, IfNoneMatch, UserId
from wallet_api.routes.strict_route import StrictJsonRoute
from wallet_api.schemas.conditional import conditional_read_responses
from wallet_api.schemas.errors import error_responses
from wallet_api.schemas.payments import PaymentIn
from wallet_api.schemas.transactions import TransactionOut

router = APIRouter(route_class=StrictJsonRoute, tags=["payments"])

# The payment use case for requests without If-Match, built once per process (the API's
# ioc); `Pay` itself stays the request's, for If-Match (see the fast lane's payments).
UnconditionalPay = NewType("UnconditionalPay", Pay)


@router.post(
    "/wallets/{user_id}/payments",
    status_code=201,
    response_model=TransactionOut,
    responses=error_responses(402, 404, 409, 412, 413, 422, 502, 503, 504),
)
async def pay(
    user_id: UserId,
    body: PaymentIn,
    use_case: FromDishka[Pay],
    deadline: FromDishka[Deadline],
    idempotency_key: IdempotencyKey = None,
    if_match: IfMatch = None,
) -> Response:
    """Pay a provider: 201 once the gateway approved; see the error table otherwise."""
    reply = await use_case.execute(
        PayRequest(
            user_id=user_id,
            idempotency_key=idempotency_key,
            provider_id=body.provider_id,
            external_reference=body.external_reference,
            amount=body.amount,
            currency=body.currency,
            deadline=deadline,
            if_match=wallet_condition(if_match),
        )
    )
    add_moved_money(
        reply,
        "payment_id",
        amount=body.amount,
        currency=body.currency,
        provider_id=str(body.provider_id),
        external_reference=body.external_reference,
    )
    return reply_response(reply)


@router.get(
    "/wallets/{user_id}/payments/{payment_id}",
    response_model=TransactionOut,
    responses=conditional_read_responses(404),
    dependencies=LAG_TOLERANT,
)
async def get_payment(
    user_id: UserId,
    payment_id: UUID,
    use_case: FromDishka[GetPayment],
    if_none_match: IfNoneMatch = None,
) -> Response:
    """The payment and its current status (what a client asks after a 504)."""
    entry = await use_case.execute(GetPaymentRequest(user_id=user_id, payment_id=payment_id))
    return conditional_json(transaction_json(entry), if_none_match=if_none_match)
