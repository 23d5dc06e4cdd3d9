"""Provider webhooks for the API tests: signed bodies, a keyless client, and the mock's
webhook sender delivering into the API in-process (imported by name, like the testkit)."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any, Final

import httpx
import orjson
from mock_gateway.webhook_sender import WebhookSender
from prometheus_client import REGISTRY
from wallet_infra.config.settings import DEV_WEBHOOK_SECRET
from wallet_testkit.db import fetch
from wallet_testkit.webhooks import new_event_id, signed_headers

WEBHOOK_PATH: Final = "/webhooks/gateway"
OTHER_SECRET: Final = "whsec_" + base64.b64encode(b"another-provider-secret-32-bytes").decode()


def event_body(event_type: str, data: dict[str, Any], event_id: str) -> bytes:
    return orjson.dumps(
        {
            "provider_event_id": event_id,
            "type": event_type,
            "created_at": datetime.now(UTC).isoformat(),
            "data": data,
        }
    )


@asynccontextmanager
async def keyless_client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the running `app` that sends no API key: the provider has none."""
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://api"
    ) as client:
        yield client


async def send_event(
    client: httpx.AsyncClient,
    event_type: str,
    data: dict[str, Any],
    *,
    event_id: str | None = None,
    secret: str = DEV_WEBHOOK_SECRET,
) -> httpx.Response:
    """POST one event, signed as the provider would."""
    event_id = event_id or new_event_id()
    body = event_body(event_type, data, event_id)
    return await client.post(
        WEBHOOK_PATH, content=body, headers=signed_headers(body, event_id, secret=secret)
    )


@asynccontextmanager
async def mock_delivering_to(mock_app: Any, api_app: Any) -> AsyncIterator[WebhookSender]:
    """The mock's webhooks, as under `make run` but in-process: signed with the development
    secret, POSTed to the API's route."""
    sender = mock_app.gateway.send_webhooks_to(
        f"http://api{WEBHOOK_PATH}", transport=httpx.ASGITransport(app=api_app)
    )
    try:
        yield sender
    finally:
        await sender.close()


def webhook_count(event_type: str, outcome: str) -> float:
    """`wallet_webhook_events_total{type, outcome}` in this process's registry."""
    value = REGISTRY.get_sample_value(
        "wallet_webhook_events_total", {"type": event_type, "outcome": outcome}
    )
    return value or 0.0


async def stored_events(database_url: str, event_id: str) -> list[Any]:
    return await fetch(
        database_url,
        "SELECT type, subject_id, outcome FROM provider_events WHERE provider_event_id = $1",
        event_id,
    )
