"""GET /wallets/{user_id}/transactions in the fast lane: the query's parameters read and
`limit` validated as FastAPI does (pydantic, from the query text), then the route's own
endpoint function. Any other parameter, a repeated one or a `limit` that is not an
integer goes to FastAPI's route."""

from __future__ import annotations

from typing import Final

import pydantic
from starlette.responses import Response
from wallet_domain.model.pagination import DEFAULT_PAGE_SIZE
from wallet_domain.use_cases.list_transactions import ListTransactions

from wallet_api.fast_lane.lane import LaneRequest
from wallet_api.routes import transactions

_PARAMETERS: Final = frozenset({"limit", "cursor", "type", "status", "currency"})
_LIMIT: Final = pydantic.TypeAdapter(int)


async def list_transactions(request: LaneRequest) -> Response | None:
    query = request.query()
    if query is None or not query.keys() <= _PARAMETERS:
        return None
    limit = DEFAULT_PAGE_SIZE
    if "limit" in query:
        try:
            limit = _LIMIT.validate_python(query["limit"])
        except pydantic.ValidationError:
            return None
    return await transactions.list_transactions(
        user_id=request.path_params["user_id"],
        use_case=await request.container.get(ListTransactions),
        limit=limit,
        cursor=query.get("cursor"),
        type_=query.get("type"),
        status=query.get("status"),
        currency=query.get("currency"),
    )
