"""Provider webhooks for the tests of both webhook apps and the end-to-end ones: a body and
its Standard Webhooks headers, signed with the `standardwebhooks` library (the mock
gateway's way); a webhook published as the ingest does; payments for them to be about."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Final
from uuid import uuid4

import orjson
from faststream.rabbit import RabbitBroker
from standardwebhooks.webhooks import Webhook
from wallet_infra.config.settings import DEV_WEBHOOK_SECRET
from wallet_infra.messaging.topology import WEBHOOKS_EXCHANGE

from wallet_testkit.amqp import publish_body
from wallet_testkit.api import Api


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


# --------------------------------------------------------------------------- broker mode


async def publish_webhook(
    broker: RabbitBroker, body: bytes, *, event_id: str, event_type: str = "payment.settled"
) -> None:
    """`body` as the ingest service publishes a verified webhook: persistent, mandatory,
    to `gateway.webhooks` under its type, `message_id` = the webhook id."""
    await publish_body(broker, body, event_type, message_id=event_id, exchange=WEBHOOKS_EXCHANGE)


# --------------------------------------------------------------------------- payments

# An API whose gateway calls give up fast: a `mock:unknown:` charge leaves its payment
# PENDING (504) in a fraction of a second, and nothing settles it behind the test's back.
QUICK_GATEWAY_SETTINGS: Final[dict[str, Any]] = {
    "gateway_connect_timeout_s": 0.05,
    "gateway_attempt_timeout_s": 0.1,
    "gateway_max_attempts": 1,
    "gateway_retry_budget_s": 0.5,
    "gateway_lookup_attempts": 1,
    "recovery_enabled": False,
    "hold_expiry_enabled": False,
    "rate_limit_per_s": 0,
}
MOCK_HANG_S: Final = 0.3  # the mock's stall: longer than one gateway attempt above


async def pending_payment(api: Api, amount: int, *, funds: int | None = None) -> tuple[str, str]:
    """(user_id, payment_id) of a payment the gateway left PENDING (its outcome unknown)."""
    user_id = await api.funded_wallet(funds or amount)
    reply = await api.pay(user_id, amount, f"mock:unknown:{uuid4().hex[:8]}")
    assert reply.status_code == 504, reply.text
    details = reply.json()["error"]["details"]
    assert details["status"] == "PENDING", details
    return user_id, str(details["payment_id"])


async def approved_payment(api: Api, amount: int) -> tuple[str, str]:
    """(user_id, payment_id) of an APPROVED payment of `amount` (the wallet is left at 0)."""
    user_id = await api.funded_wallet(amount)
    reply = await api.pay(user_id, amount, f"mock:happy:{uuid4().hex[:8]}")
    assert reply.status_code == 201, reply.text
    return user_id, str(reply.json()["id"])


async def payment_status(api: Api, user_id: str, payment_id: str) -> str:
    reply = await api.client.get(f"/wallets/{user_id}/payments/{payment_id}")
    assert reply.status_code == 200, reply.text
    status: str = reply.json()["status"]
    return status
