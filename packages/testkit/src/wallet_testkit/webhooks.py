"""Provider webhooks as the provider sends them: a body and its Standard Webhooks headers,
signed with the `standardwebhooks` library (the mock gateway's way), for the ingest's, the
consumer's and the end-to-end tests."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import orjson
from standardwebhooks.webhooks import Webhook
from wallet_infra.config.settings import DEV_WEBHOOK_SECRET


def new_event_id() -> str:
    return f"evt_{uuid4().hex}"


def event_body(event_id: str, event_type: str = "payment.settled", **data: Any) -> bytes:
    """A provider event body; `data` defaults to a settled payment no one has."""
    data = data or {"payment_id": str(uuid4()), "status": "approved"}
    return orjson.dumps(
        {
            "provider_event_id": event_id,
            "type": event_type,
            "created_at": datetime.now(UTC).isoformat(),
            "data": data,
        }
    )


def signed_headers(
    body: bytes,
    event_id: str,
    *,
    secret: str = DEV_WEBHOOK_SECRET,
    at: datetime | None = None,
) -> dict[str, str]:
    """`webhook-id`, `webhook-timestamp`, `webhook-signature` (and the content type)."""
    at = at or datetime.now(UTC)
    return {
        "content-type": "application/json",
        "webhook-id": event_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(secret).sign(event_id, at, body),
    }
