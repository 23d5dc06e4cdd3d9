"""POST /transfers (idempotent) and GET /transfers/{transfer_id}."""

from __future__ import annotations

from uuid import UUID

from dishka.integrations.fastapi import FromDishka
from fastapi import APIRouter
from starlette.responses import Response
from wallet_domain.use_cases.get_transfer import GetTransfer, GetTransferRequest
from wallet_domain.use_cases.make_transfer import MakeTransfer, MakeTransferRequest

from wallet_api.auth.principal import Principal
from wallet_api.http.access_fields import add_moved_money
from wallet_api.http.conditional import conditional_json, wallet_condition
from wallet_api.http.replies import reply_response
from wallet_api.http.transfers import transfer_json
from wallet_api.routes.params import LAG_TOLERANT, IdempotencyKey, IfMatch, IfNoneMatch
from wallet_api.routes.strict_route import StrictJsonRoute
from wallet_api.schemas.conditional import conditional_read_responses
from wallet_api.schemas.errors import error_responses
from wallet_api.schemas.transfers import TransferIn, TransferOut

router = APIRouter(route_class=StrictJsonRoute, tags=["transfers"])


@router.post(
    "/transfers",
    status_code=201,
    response_model=TransferOut,
    responses=error_responses(404, 409, 412, 413, 422),
)
async def make_transfer(
    body: TransferIn,
    principal: FromDishka[Principal],
    use_case: FromDishka[MakeTransfer],
    idempotency_key: IdempotencyKey = None,
    if_match: IfMatch = None,
) -> Response:
    """Move money from `from_user_id` to `to_user_id`. A key scoped to a wallet may only
    send from that wallet: another sender is 404, as if it did not exist. `If-Match` is
    the sender's wallet ETag."""
    principal.ensure_can_access(body.from_user_id)
    reply = await use_case.execute(
        MakeTransferRequest(
            from_user_id=body.from_user_id,
            to_user_id=body.to_user_id,
            idempotency_key=idempotency_key,
            amount=body.amount,
            currency=body.currency,
            reference=body.reference,
            if_match=wallet_condition(if_match),
        )
    )
    add_moved_money(
        reply,
        "transfer_id",
        user_id=body.from_user_id,
        to_user_id=body.to_user_id,
        amount=body.amount,
        currency=body.currency,
    )
    return reply_response(reply)


@router.get(
    "/transfers/{transfer_id}",
    response_model=TransferOut,
    responses=conditional_read_responses(404),
    dependencies=LAG_TOLERANT,
)
async def get_transfer(
    transfer_id: UUID,
    principal: FromDishka[Principal],
    use_case: FromDishka[GetTransfer],
    if_none_match: IfNoneMatch = None,
) -> Response:
    """The transfer, for a service key or a key scoped to either of its wallets."""
    transfer = await use_case.execute(
        GetTransferRequest(transfer_id=transfer_id, viewer=principal.user_id)
    )
    return conditional_json(transfer_json(transfer), if_none_match=if_none_match)
