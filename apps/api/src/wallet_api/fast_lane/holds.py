"""Holds in the fast lane: creating one, and completing or reverting it, each handed to
its route's own endpoint function once parsed as FastAPI would parse it."""

from __future__ import annotations

from typing import Final
from uuid import UUID

import pydantic
from starlette.responses import Response
from wallet_domain.use_cases.create_hold import CreateHold
from wallet_domain.use_cases.settle_hold import SettleHold

from wallet_api.fast_lane.json_body import json_body
from wallet_api.fast_lane.lane import LaneRequest
from wallet_api.routes import holds
from wallet_api.schemas.base import NoBody
from wallet_api.schemas.holds import HoldCompleteIn, HoldIn

# The path's hold id as FastAPI validates a `UUID` parameter (any form pydantic reads).
_HOLD_ID: Final = pydantic.TypeAdapter(UUID)


def _hold_id(request: LaneRequest) -> UUID | None:
    try:
        return _HOLD_ID.validate_python(request.path_params["hold_id"])
    except pydantic.ValidationError:
        return None


async def create_hold(request: LaneRequest) -> Response | None:
    body = json_body(request, HoldIn)
    if body is None:
        return None
    return await holds.create_hold(
        user_id=request.path_params["user_id"],
        body=body,
        use_case=await request.container.get(CreateHold),
        idempotency_key=request.header(b"idempotency-key"),
        if_match=request.header(b"if-match"),
    )


async def complete_hold(request: LaneRequest) -> Response | None:
    """The body is optional: FastAPI reads an empty one as none, whatever its type."""
    hold_id = _hold_id(request)
    body = json_body(request, HoldCompleteIn) if request.body else None
    if hold_id is None or (request.body and body is None):
        return None
    return await holds.complete_hold(
        user_id=request.path_params["user_id"],
        hold_id=hold_id,
        use_case=await request.container.get(SettleHold),
        body=body,
        idempotency_key=request.header(b"idempotency-key"),
        if_match=request.header(b"if-match"),
    )


async def revert_hold(request: LaneRequest) -> Response | None:
    """The route takes no body: none, or an empty one (anything else is its route's 400)."""
    hold_id = _hold_id(request)
    body = json_body(request, NoBody) if request.body else None
    if hold_id is None or (request.body and body is None):
        return None
    return await holds.revert_hold(
        user_id=request.path_params["user_id"],
        hold_id=hold_id,
        use_case=await request.container.get(SettleHold),
        body=body,
        idempotency_key=request.header(b"idempotency-key"),
        if_match=request.header(b"if-match"),
    )
