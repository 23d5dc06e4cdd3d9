"""POST /wallets/{user_id}/payments in the fast lane: the body parsed and validated as
FastAPI would (strict JSON, `PaymentIn`), then the route's own endpoint function."""

from __future__ import annotations

from starlette.responses import Response
from wallet_domain.deadline import Deadline
from wallet_domain.use_cases.pay import Pay

from wallet_api.fast_lane.json_body import json_body
from wallet_api.fast_lane.lane import LaneRequest
from wallet_api.routes import payments
from wallet_api.schemas.payments import PaymentIn


async def pay(request: LaneRequest) -> Response | None:
    body = json_body(request, PaymentIn)
    if body is None:
        return None
    return await payments.pay(
        user_id=request.path_params["user_id"],
        body=body,
        use_case=await request.container.get(Pay),
        deadline=await request.container.get(Deadline),
        idempotency_key=request.header(b"idempotency-key"),
        if_match=request.header(b"if-match"),
    )
