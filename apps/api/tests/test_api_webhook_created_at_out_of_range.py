"""A well-signed provider event whose `created_at` is valid RFC 3339 with an offset but
has no date in UTC (year 1 at +01:00, year 9999 at -01:00) is refused at once, 400
VALIDATION_ERROR with nothing stored, like any body that is not a provider event: stored
as it is, it failed every time (500), and the provider retried it forever."""

from __future__ import annotations

from uuid import uuid4

import orjson
import pytest
from wallet_api_testkit import Api
from webhook_kit import WEBHOOK_PATH, keyless_client, new_event_id, signed_headers, stored_events


@pytest.mark.parametrize("created_at", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"])
async def test_a_created_at_at_the_edge_of_the_datetime_range_is_400_not_500(
    api: Api, database_url: str, created_at: str
) -> None:
    user_id = await api.funded_wallet(1_000)
    paid = await api.pay(user_id, 100, f"mock:unknown:{uuid4().hex[:8]}")
    assert paid.status_code == 504, paid.text
    payment_id = paid.json()["error"]["details"]["payment_id"]
    event_id = new_event_id()
    body = orjson.dumps(
        {
            "provider_event_id": event_id,
            "type": "payment.settled",
            "created_at": created_at,
            "data": {"payment_id": payment_id, "status": "declined"},
        }
    )

    async with keyless_client(api.app) as provider:
        reply = await provider.post(
            WEBHOOK_PATH, content=body, headers=signed_headers(body, event_id)
        )

    assert reply.status_code == 400, reply.text
    assert reply.json()["error"]["code"] == "VALIDATION_ERROR"
    assert await stored_events(database_url, event_id) == []
