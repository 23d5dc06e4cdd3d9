"""POST /wallets/{user_id}/payments in the fast lane: the body parsed and validated as
FastAPI would (strict JSON, `PaymentIn`), then the route's own endpoint function.

Without If-Match the payment goes to the process's one `UnconditionalPay` (see the ioc):
no request container is opened for it. With If-Match it takes the request's `Pay`, whose
ports share the transaction that holds the wallet's lock."""

from __future__ import annotations

from starlette.responses import Response
from wallet_domain.deadline import Deadline
from wallet_domain.use_cases.pay import Pay

from wallet_api.fast_lane.json_body import json_body
from wallet_api.fast_lane.lane import LaneRequest
from wallet_api.routes import payments
from wallet_api.routes.payments import UnconditionalPay
from wallet_api.schemas.payments import PaymentIn

_IF_MATCH = b"if-match"


async def pay(request: LaneRequest) -> Response | None:
    body = json_body(request, PaymentIn)
    if body is None:
        return None
    if_match = request.header(_IF_MATCH)
    container = request.container
    use_case: Pay = await container.get(Pay if if_match is not None else UnconditionalPay)
    return await payments.pay(
        user_id=request.path_params["user_id"],
        body=body,
        use_case=use_case,
        deadline=request.deadline or await container.get(Deadline),
        idempotency_key=request.header(b"idempotency-key"),
        if_match=if_match,
    )
