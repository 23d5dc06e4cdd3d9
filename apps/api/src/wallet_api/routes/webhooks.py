"""POST /webhooks/gateway: the payment provider's signed events, applied at once (sync mode).

No API key: the Standard Webhooks signature is the authentication (the API-key middleware
lets exactly this path through). The body is read raw, because the signature covers its
exact bytes; it is verified, decoded and applied in one database transaction. Registered
only when `WALLET_WEBHOOK_MODE=sync`: in broker mode the ingest service takes webhooks and
this path is 404.
"""

from __future__ import annotations

from dishka.integrations.fastapi import FromDishka
from fastapi import APIRouter, Request
from starlette.responses import Response
from wallet_domain.use_cases.apply_provider_event import ApplyProviderEvent

from wallet_api.http.gateway_webhooks import WEBHOOK_PATH, GatewayWebhooks
from wallet_api.http.json import JsonResponse
from wallet_api.routes.strict_route import StrictJsonRoute
from wallet_api.schemas.errors import ErrorEnvelope
from wallet_api.schemas.webhooks import PROVIDER_EVENT_BODY, SIGNATURE_HEADERS, WebhookAck

router = APIRouter(route_class=StrictJsonRoute, tags=["webhooks"])


@router.post(
    WEBHOOK_PATH,
    response_model=WebhookAck,
    responses={
        400: {
            "model": ErrorEnvelope,
            "description": "VALIDATION_ERROR: a well-signed body that is not a provider event,"
            " or whose provider_event_id differs from `webhook-id`",
        },
        401: {
            "model": ErrorEnvelope,
            "description": "UNAUTHORIZED: signature missing or invalid, or timestamp more than"
            " 5 minutes away",
        },
        413: {"model": ErrorEnvelope, "description": "PAYLOAD_TOO_LARGE"},
    },
    openapi_extra={
        "security": [],
        "parameters": SIGNATURE_HEADERS,
        "requestBody": PROVIDER_EVENT_BODY,
    },
)
async def receive_gateway_webhook(
    request: Request,
    webhooks: FromDishka[GatewayWebhooks],
    use_case: FromDishka[ApplyProviderEvent],
) -> Response:
    """Verify and apply one provider event (at most once per `provider_event_id`); 200 with
    what it did, whatever that was, so the provider stops retrying."""
    event = webhooks.event(await request.body(), request.headers)
    outcome = await use_case.execute(event)
    return JsonResponse({"status": outcome.value})
