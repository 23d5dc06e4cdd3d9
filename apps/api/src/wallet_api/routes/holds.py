"""Holds: POST /wallets/{user_id}/holds (idempotent), complete, revert, list and get."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from dishka.integrations.fastapi import FromDishka
from fastapi import APIRouter, Query
from starlette.responses import Response
from wallet_domain.model.hold import HoldStatus
from wallet_domain.model.pagination import DEFAULT_PAGE_SIZE
from wallet_domain.use_cases.create_hold import CreateHold, CreateHoldRequest
from wallet_domain.use_cases.get_hold import GetHold, GetHoldRequest
from wallet_domain.use_cases.list_holds import ListHolds, ListHoldsRequest
from wallet_domain.use_cases.settle_hold import SettleHold, SettleHoldRequest

from wallet_api.http.access_fields import add_moved_money
from wallet_api.http.conditional import conditional_json, wallet_condition
from wallet_api.http.holds import hold_json
from wallet_api.http.pages import page_response
from wallet_api.http.replies import reply_response
from wallet_api.routes.params import (
    LAG_TOLERANT,
    OPTIONAL_KEY,
    IdempotencyKey,
    IfMatch,
    IfNoneMatch,
    PageCursor,
    PageLimit,
    UserId,
)
from wallet_api.routes.strict_route import StrictJsonRoute
from wallet_api.schemas.base import NoBody
from wallet_api.schemas.conditional import conditional_read_responses
from wallet_api.schemas.errors import error_responses
from wallet_api.schemas.holds import HOLD_STATUS_RULE, HoldCompleteIn, HoldIn, HoldOut, HoldPage

router = APIRouter(route_class=StrictJsonRoute, tags=["holds"])

HoldStatusFilter = Annotated[str | None, Query(json_schema_extra=HOLD_STATUS_RULE)]


@router.post(
    "/wallets/{user_id}/holds",
    status_code=201,
    response_model=HoldOut,
    responses=error_responses(404, 409, 412, 413, 422),
)
async def create_hold(
    user_id: UserId,
    body: HoldIn,
    use_case: FromDishka[CreateHold],
    idempotency_key: IdempotencyKey = None,
    if_match: IfMatch = None,
) -> Response:
    """Hold `amount`: it leaves `available` at once and shows as `pending_debit`."""
    reply = await use_case.execute(
        CreateHoldRequest(
            user_id=user_id,
            idempotency_key=idempotency_key,
            amount=body.amount,
            currency=body.currency,
            reference=body.reference,
            expires_in_s=body.expires_in_s,
            if_match=wallet_condition(if_match),
        )
    )
    add_moved_money(reply, "hold_id", amount=body.amount, currency=body.currency)
    return reply_response(reply)


@router.post(
    "/wallets/{user_id}/holds/{hold_id}/complete",
    response_model=HoldOut,
    responses=error_responses(404, 409, 412, 413, 422),
    openapi_extra={OPTIONAL_KEY: True},
)
async def complete_hold(
    user_id: UserId,
    hold_id: UUID,
    use_case: FromDishka[SettleHold],
    body: HoldCompleteIn | None = None,
    idempotency_key: IdempotencyKey = None,
    if_match: IfMatch = None,
) -> Response:
    """Capture all of the hold or `amount` of it; the rest goes back to `available`. At or
    after `expires_at` nothing is captured: the hold expires (all released) and the answer
    is 409 INVALID_STATE with `details.status` EXPIRED."""
    amount = None if body is None else body.amount
    return await _settle(
        use_case, user_id, hold_id, HoldStatus.COMPLETED, idempotency_key, if_match, amount
    )


@router.post(
    "/wallets/{user_id}/holds/{hold_id}/revert",
    response_model=HoldOut,
    responses=error_responses(404, 409, 412, 413, 422),
    openapi_extra={OPTIONAL_KEY: True},
)
async def revert_hold(
    user_id: UserId,
    hold_id: UUID,
    use_case: FromDishka[SettleHold],
    body: NoBody | None = None,
    idempotency_key: IdempotencyKey = None,
    if_match: IfMatch = None,
) -> Response:
    """Release the whole hold back to `available`. At or after `expires_at` it is released
    as an expiry (EXPIRED, `hold.expired`) and the answer is 409 INVALID_STATE with
    `details.status` EXPIRED."""
    del body  # refused unless empty
    return await _settle(use_case, user_id, hold_id, HoldStatus.REVERTED, idempotency_key, if_match)


@router.get(
    "/wallets/{user_id}/holds",
    response_model=HoldPage,
    responses=error_responses(404),
    dependencies=LAG_TOLERANT,
)
async def list_holds(
    user_id: UserId,
    use_case: FromDishka[ListHolds],
    limit: PageLimit = DEFAULT_PAGE_SIZE,
    cursor: PageCursor = None,
    status: HoldStatusFilter = None,
) -> Response:
    """Newest first; pass `next_cursor` back as `cursor` until it is null."""
    page = await use_case.execute(
        ListHoldsRequest(user_id=user_id, limit=limit, cursor=cursor, status=status)
    )
    return page_response(page, hold_json)


@router.get(
    "/wallets/{user_id}/holds/{hold_id}",
    response_model=HoldOut,
    responses=conditional_read_responses(404),
    dependencies=LAG_TOLERANT,
)
async def get_hold(
    user_id: UserId,
    hold_id: UUID,
    use_case: FromDishka[GetHold],
    if_none_match: IfNoneMatch = None,
) -> Response:
    """The hold and its current status."""
    hold = await use_case.execute(GetHoldRequest(user_id=user_id, hold_id=hold_id))
    return conditional_json(hold_json(hold), if_none_match=if_none_match)


async def _settle(
    use_case: SettleHold,
    user_id: str,
    hold_id: UUID,
    to: HoldStatus,
    idempotency_key: str | None,
    if_match: str | None,
    amount: int | None = None,
) -> Response:
    request = SettleHoldRequest(
        user_id=user_id,
        hold_id=hold_id,
        to=to,
        amount=amount,
        idempotency_key=idempotency_key,
        if_match=wallet_condition(if_match),
    )
    return reply_response(await use_case.execute(request))
