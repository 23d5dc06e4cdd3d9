"""The provider webhook route's shapes: what it reads (documented) and what it answers."""

from __future__ import annotations

from typing import Any, Final

from wallet_domain.model.provider_event import ProviderEventOutcome

from wallet_api.schemas.base import ResponseBody


class WebhookAck(ResponseBody):
    """What applying the event did. Every one of these is a 200: the event was taken in
    (applied, or nothing to do), so the provider must stop retrying it."""

    status: ProviderEventOutcome


# The body is read raw (the signature covers its exact bytes), so it is documented here
# rather than declared as a model FastAPI would parse.
PROVIDER_EVENT_BODY: Final[dict[str, Any]] = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "required": ["provider_event_id", "type", "created_at", "data"],
                "properties": {
                    "provider_event_id": {
                        "type": "string",
                        "minLength": 1,
                        "maxLength": 255,
                        "description": "equals the `webhook-id` header",
                    },
                    "type": {
                        "type": "string",
                        "examples": ["payment.settled", "payment.refunded", "dispute.updated"],
                    },
                    "created_at": {"type": "string", "format": "date-time"},
                    "data": {
                        "type": "object",
                        "description": "payment.settled: {payment_id, status: approved|declined};"
                        " payment.refunded: {payment_id, amount}; dispute.updated:"
                        " {dispute_id, status}",
                    },
                },
            }
        }
    },
}

SIGNATURE_HEADERS: Final[list[dict[str, Any]]] = [
    {
        "name": "webhook-id",
        "in": "header",
        "required": True,
        "schema": {"type": "string"},
        "description": "the event's id (the body's provider_event_id)",
    },
    {
        "name": "webhook-timestamp",
        "in": "header",
        "required": True,
        "schema": {"type": "string"},
        "description": "Unix seconds; more than 5 minutes away from now is refused",
    },
    {
        "name": "webhook-signature",
        "in": "header",
        "required": True,
        "schema": {"type": "string"},
        "description": "`v1,<base64 HMAC-SHA256>`, several space-separated during a rotation",
    },
]
