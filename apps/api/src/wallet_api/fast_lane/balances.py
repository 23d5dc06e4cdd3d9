"""GET /wallets/{user_id}/balance in the fast lane: without a query (a `currency` filter
goes to FastAPI's route), the route's own endpoint function."""

from __future__ import annotations

from starlette.responses import Response
from wallet_domain.use_cases.get_balance import GetBalance

from wallet_api.fast_lane.lane import LaneRequest
from wallet_api.routes import balance


async def get_balance(request: LaneRequest) -> Response | None:
    if request.query_string:
        return None
    return await balance.get_balance(
        user_id=request.path_params["user_id"],
        use_case=await request.container.get(GetBalance),
        currency=None,
        if_none_match=request.header(b"if-none-match"),
    )
