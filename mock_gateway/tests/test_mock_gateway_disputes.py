"""The mock provider's disputes: filed once per dispute id, moved by an admin call that
sends the signed `dispute.updated` webhook."""

from __future__ import annotations

import httpx
import orjson
from mock_gateway.app import create_app
from mock_gateway.settings import Settings

from .conftest import HANG_S, Charge, client_for

DISPUTE_ID = "01a24c10-5b6e-7a01-9c3d-2e4f6a8b0c1d"


def _dispute(payment_id: str = "pay-1", reason: str = "not delivered") -> dict[str, object]:
    return {
        "dispute_id": DISPUTE_ID,
        "payment_id": payment_id,
        "amount": 1250,
        "currency": "USD",
        "reason": reason,
        "evidence": ["receipt"],
    }


async def _file(client: httpx.AsyncClient, dispute: dict[str, object]) -> httpx.Response:
    headers = {"Idempotency-Key": str(dispute["dispute_id"])}
    return await client.post("/disputes", json=dispute, headers=headers)


async def test_a_dispute_on_an_approved_charge_is_filed_once(
    client: httpx.AsyncClient, charge: Charge
) -> None:
    await charge(client, "pay-1")
    first = await _file(client, _dispute())
    again = await _file(client, _dispute())
    assert (first.status_code, first.json()["status"]) == (201, "open")
    assert (again.status_code, again.json()) == (200, first.json())
    assert (await client.get(f"/disputes/{DISPUTE_ID}")).json()["payment_id"] == "pay-1"


async def test_a_dispute_needs_its_key_and_an_approved_charge(
    client: httpx.AsyncClient, charge: Charge
) -> None:
    assert (await client.post("/disputes", json=_dispute())).status_code == 400
    unknown = await _file(client, _dispute("pay-unknown"))
    assert (unknown.status_code, unknown.json()) == (404, {"status": "payment_not_found"})
    await charge(client, "pay-2", "mock:declined:x")
    assert (await _file(client, _dispute("pay-2"))).status_code == 404
    assert (await client.get(f"/disputes/{DISPUTE_ID}")).status_code == 404


async def test_a_reason_override_fails_the_filing(client: httpx.AsyncClient) -> None:
    assert (await _file(client, _dispute(reason="mock:error:x"))).status_code == 500
    assert (await _file(client, _dispute(reason="mock:timeout:x"))).status_code == 504
    assert (await client.get(f"/disputes/{DISPUTE_ID}")).status_code == 404


async def test_an_admin_move_sets_the_status_and_sends_the_webhook(charge: Charge) -> None:
    app = create_app(Settings(hang_s=HANG_S))
    async with client_for(app) as client:
        await charge(client, "pay-1")
        await _file(client, _dispute())
        moved = await client.post(f"/admin/disputes/{DISPUTE_ID}/status", json={"status": "won"})
        assert moved.status_code == 202
        assert moved.json()["dispute"]["status"] == "won"
        event_id = moved.json()["webhook"]["provider_event_id"]
        delivery = await client.get(f"/admin/webhooks/{event_id}")
        assert delivery.json()["type"] == "dispute.updated"
        sent = orjson.loads(app.state.gateway.webhooks.deliveries[event_id].body)
        assert sent["data"] == {"dispute_id": DISPUTE_ID, "status": "won"}
        assert (await client.get(f"/disputes/{DISPUTE_ID}")).json()["status"] == "won"


async def test_an_admin_move_of_an_unknown_dispute_or_to_an_unknown_status_is_refused(
    client: httpx.AsyncClient, charge: Charge
) -> None:
    unknown = await client.post(f"/admin/disputes/{DISPUTE_ID}/status", json={"status": "won"})
    assert unknown.status_code == 404
    await charge(client, "pay-1")
    await _file(client, _dispute())
    bad = await client.post(f"/admin/disputes/{DISPUTE_ID}/status", json={"status": "open"})
    assert bad.status_code == 422
    assert (await client.post("/admin/reset")).status_code == 200
    assert (await client.get(f"/disputes/{DISPUTE_ID}")).status_code == 404
