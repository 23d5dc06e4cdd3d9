"""`GET /payments?since=&until=` reads a time written without a UTC offset
(`2026-12-07T00:00:00`, valid ISO 8601) as UTC; it once compared a naive with an aware
datetime and answered a bare 500."""

from __future__ import annotations

import httpx

from .conftest import Charge


async def test_a_window_without_utc_offset_is_not_a_500(
    client: httpx.AsyncClient, charge: Charge
) -> None:
    assert (await charge(client, "pay-1")).status_code == 200

    reply = await client.get(
        "/payments", params={"since": "2000-01-01T00:00:00", "until": "2100-01-01T00:00:00"}
    )

    assert reply.status_code == 200, reply.text
    assert [item["payment_id"] for item in reply.json()["items"]] == ["pay-1"]
