"""Disputes: open one on a payment (idempotent), add evidence, cancel, get and list."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from dishka.integrations.fastapi import FromDishka
from fastapi import APIRouter, Query
from starlette.responses import Response
from wallet_domain.deadline import Deadline
from wallet_domain.model.pagination import DEFAULT_PAGE_SIZE
from wallet_domain.use_cases.add_dispute_evidence import (
    AddDisputeEvidence,
    AddDisputeEvidenceRequest,
)
from wallet_domain.use_cases.cancel_dispute import CancelDispute, CancelDisputeRequest
from wallet_domain.use_cases.get_dispute import GetDispute, GetDisputeRequest
from wallet_domain.use_cases.list_disputes import ListDisputes, ListDisputesRequest
from wallet_domain.use_cases.open_dispute import OpenDispute, OpenDisputeRequest

from wallet_api.auth.principal import Principal
from wallet_api.http.conditional import conditional_json
from wallet_api.http.disputes import dispute_json
from wallet_api.http.json import JsonResponse
from wallet_api.http.pages import page_response
from wallet_api.http.replies import reply_response
from wallet_api.routes.params import (
    LAG_TOLERANT,
    IdempotencyKey,
    IfNoneMatch,
    PageCursor,
    PageLimit,
    UserId,
)
from wallet_api.routes.strict_route import StrictJsonRoute
from wallet_api.schemas.base import NoBody
from wallet_api.schemas.conditional import conditional_read_responses
from wallet_api.schemas.disputes import (
    DISPUTE_STATUS_RULE,
    DisputeIn,
    DisputeOut,
    DisputePage,
    EvidenceIn,
)
from wallet_api.schemas.errors import error_responses

router = APIRouter(route_class=StrictJsonRoute, tags=["disputes"])

DisputeStatusFilter = Annotated[str | None, Query(json_schema_extra=DISPUTE_STATUS_RULE)]


@router.post(
    "/wallets/{user_id}/payments/{payment_id}/disputes",
    status_code=201,
    response_model=DisputeOut,
    responses=error_responses(404, 409, 413, 422, 502, 503, 504),
)
async def open_dispute(
    user_id: UserId,
    payment_id: UUID,
    body: DisputeIn,
    use_case: FromDishka[OpenDispute],
    deadline: FromDishka[Deadline],
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Contest an APPROVED payment: the dispute opens OPEN and is filed with the provider."""
    reply = await use_case.execute(
        OpenDisputeRequest(
            user_id=user_id,
            payment_id=payment_id,
            idempotency_key=idempotency_key,
            reason=body.reason,
            evidence=body.evidence,
            deadline=deadline,
        )
    )
    return reply_response(reply)


@router.post(
    "/disputes/{dispute_id}/evidence",
    response_model=DisputeOut,
    responses=error_responses(404, 409, 413),
)
async def add_evidence(
    dispute_id: UUID,
    body: EvidenceIn,
    principal: FromDishka[Principal],
    use_case: FromDishka[AddDisputeEvidence],
) -> Response:
    """Append evidence texts while the dispute is OPEN or UNDER_REVIEW."""
    dispute = await use_case.execute(
        AddDisputeEvidenceRequest(
            dispute_id=dispute_id, owner=principal.user_id, evidence=body.evidence
        )
    )
    return JsonResponse(dispute_json(dispute))


@router.post(
    "/disputes/{dispute_id}/cancel",
    response_model=DisputeOut,
    responses=error_responses(404, 409, 413, 502, 503, 504),
)
async def cancel_dispute(
    dispute_id: UUID,
    principal: FromDishka[Principal],
    use_case: FromDishka[CancelDispute],
    deadline: FromDishka[Deadline],
    body: NoBody | None = None,
) -> Response:
    """Withdraw a dispute that is OPEN or UNDER_REVIEW: the provider withdraws it, then
    it becomes CANCELED."""
    del body  # refused unless empty
    dispute = await use_case.execute(
        CancelDisputeRequest(dispute_id=dispute_id, owner=principal.user_id, deadline=deadline)
    )
    return JsonResponse(dispute_json(dispute))


@router.get(
    "/disputes/{dispute_id}", response_model=DisputeOut, responses=conditional_read_responses(404)
)
async def get_dispute(
    dispute_id: UUID,
    principal: FromDishka[Principal],
    use_case: FromDishka[GetDispute],
    if_none_match: IfNoneMatch = None,
) -> Response:
    """The dispute, its evidence and its current status (ETag: a digest of the body)."""
    dispute = await use_case.execute(
        GetDisputeRequest(dispute_id=dispute_id, owner=principal.user_id)
    )
    return conditional_json(dispute_json(dispute), if_none_match=if_none_match)


@router.get(
    "/wallets/{user_id}/disputes",
    response_model=DisputePage,
    responses=error_responses(404),
    dependencies=LAG_TOLERANT,
)
async def list_disputes(
    user_id: UserId,
    use_case: FromDishka[ListDisputes],
    limit: PageLimit = DEFAULT_PAGE_SIZE,
    cursor: PageCursor = None,
    status: DisputeStatusFilter = None,
) -> Response:
    """Newest first; pass `next_cursor` back as `cursor` until it is null."""
    page = await use_case.execute(
        ListDisputesRequest(user_id=user_id, limit=limit, cursor=cursor, status=status)
    )
    return page_response(page, dispute_json)
