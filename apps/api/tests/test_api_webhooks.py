"""POST /webhooks/gateway (sync mode) on the real app and PostgreSQL, fed by the mock
gateway's own webhooks where it sends them: late settlements, repeats, provider refunds,
contradictions and unknown payments."""

from __future__ import annotations

import asyncio
import time
from typing import Any
from uuid import UUID, uuid4

import pytest
from wallet_api_testkit import Api, StartApi
from wallet_testkit.db import fetch
from wallet_testkit.polling import eventually
from webhook_kit import (
    event_body,
    keyless_client,
    mock_delivering_to,
    new_event_id,
    send_event,
    signed_headers,
    stored_events,
    webhook_count,
)

from mock_gateway import Settings as MockGatewaySettings
from mock_gateway import create_app as create_mock_gateway

SETTLE_DELAY_S = 1.0
RECOVERY_MIN_AGE_S = 60.0


async def _payment_status(api: Api, user_id: str, payment_id: str) -> str:
    response = await api.client.get(f"/wallets/{user_id}/payments/{payment_id}")
    assert response.status_code == 200, response.text
    status: str = response.json()["status"]
    return status


async def _pending_payment(api: Api, user_id: str, amount: int) -> str:
    """A payment the gateway charged but whose outcome it holds back (`unknown` mode)."""
    response = await api.pay(user_id, amount, f"mock:unknown:{uuid4().hex[:8]}")
    assert response.status_code == 504, response.text
    details = response.json()["error"]["details"]
    assert details["resolution"] == "pending"
    payment_id: str = details["payment_id"]
    return payment_id


async def _approved_payment(api: Api, user_id: str, amount: int) -> str:
    response = await api.pay(user_id, amount)
    assert response.status_code == 201, response.text
    payment_id: str = response.json()["id"]
    return payment_id


async def _ledger(database_url: str, user_id: str) -> dict[str, Any]:
    """Balance, the signed sum of the ledger, and its rows by type (conservation check)."""
    [row] = await fetch(
        database_url,
        "SELECT b.balance, (SELECT sum(amount) FROM transactions t WHERE t.user_id = b.user_id"
        " AND t.currency = b.currency AND (t.type <> 'DEPOSIT' OR t.status = 'COMPLETED'))"
        " AS ledger FROM wallet_balances b WHERE b.user_id = $1 AND b.currency = 'USD'",
        user_id,
    )
    types = await fetch(
        database_url,
        "SELECT type, count(*) AS n, sum(amount) AS total FROM transactions WHERE user_id = $1"
        " GROUP BY type",
        user_id,
    )
    return {
        "balance": row["balance"],
        "ledger": row["ledger"],
        "types": {r["type"]: (r["n"], r["total"]) for r in types},
    }


async def test_a_payment_left_pending_is_settled_by_the_mocks_webhook_long_before_recovery(
    start_api: StartApi, own_database_url: str
) -> None:
    mock = create_mock_gateway(
        MockGatewaySettings(hang_s=0.3, webhook_settle_delay_s=SETTLE_DELAY_S)
    )
    async with (
        start_api(
            mock_app=mock,
            database_url=own_database_url,
            recovery_enabled=True,
            recovery_min_age_s=RECOVERY_MIN_AGE_S,
        ) as api,
        mock_delivering_to(mock, api.app),
    ):
        user_id = await api.funded_wallet(1_000)
        started = time.monotonic()
        payment_id = await _pending_payment(api, user_id, 400)
        assert await _payment_status(api, user_id, payment_id) == "PENDING"

        async def approved() -> bool:
            return await _payment_status(api, user_id, payment_id) == "APPROVED"

        await eventually(approved, timeout_s=15)
        elapsed = time.monotonic() - started
        assert await api.balances(user_id) == {"USD": {"available": 600, "pending": 0}}

    # The mock held the outcome back for SETTLE_DELAY_S; the recovery worker would not have
    # looked before RECOVERY_MIN_AGE_S (and the mock's lookups still answer "unknown").
    assert SETTLE_DELAY_S <= elapsed < RECOVERY_MIN_AGE_S / 10, elapsed
    [event] = await fetch(
        own_database_url,
        "SELECT type, subject_id, outcome FROM provider_events WHERE subject_id = $1",
        UUID(payment_id),
    )
    assert (event["type"], event["outcome"]) == ("payment.settled", "applied")


async def test_the_same_webhook_five_times_at_once_and_again_has_one_effect(
    api: Api, database_url: str
) -> None:
    user_id = await api.funded_wallet(1_000)
    payment_id = await _pending_payment(api, user_id, 400)
    event_id = new_event_id()
    body = event_body("payment.settled", {"payment_id": payment_id, "status": "declined"}, event_id)

    async with keyless_client(api.app) as provider:

        async def deliver() -> str:
            headers = signed_headers(body, event_id)
            response = await provider.post("/webhooks/gateway", content=body, headers=headers)
            assert response.status_code == 200, response.text
            status: str = response.json()["status"]
            return status

        at_once = await asyncio.gather(*(deliver() for _ in range(3)))
        again = [await deliver() for _ in range(2)]

    assert sorted([*at_once, *again]) == ["applied"] + ["duplicate"] * 4
    assert await _payment_status(api, user_id, payment_id) == "DECLINED"
    ledger = await _ledger(database_url, user_id)
    assert ledger["types"]["REFUND"] == (1, 400)
    assert ledger["balance"] == ledger["ledger"] == 1_000
    assert len(await stored_events(database_url, event_id)) == 1


async def test_provider_refunds_up_to_the_amount_are_credited_and_one_more_is_refused(
    start_api: StartApi, database_url: str
) -> None:
    mock = create_mock_gateway(MockGatewaySettings(hang_s=0.3))
    async with start_api(mock_app=mock) as api, mock_delivering_to(mock, api.app) as sender:
        user_id = await api.funded_wallet(1_000)
        payment_id = await _approved_payment(api, user_id, 800)
        async with keyless_client(mock) as admin:
            partial = await admin.post(f"/admin/charges/{payment_id}/refunds", json={"amount": 300})
            rest = await admin.post(f"/admin/charges/{payment_id}/refunds", json={})
        assert (partial.status_code, rest.status_code) == (202, 202), (partial.text, rest.text)

        async def delivered() -> bool:
            return sender.stats().get("delivered", 0) == 2

        await eventually(delivered, timeout_s=10)
        refused_before = webhook_count("payment.refunded", "refused")
        async with keyless_client(api.app) as provider:
            one_more = await send_event(
                provider, "payment.refunded", {"payment_id": payment_id, "amount": 1}
            )
        history = await api.client.get(f"/wallets/{user_id}/transactions?type=PROVIDER_REFUND")

    assert one_more.status_code == 200
    assert one_more.json() == {"status": "refused"}
    assert webhook_count("payment.refunded", "refused") == refused_before + 1
    ledger = await _ledger(database_url, user_id)
    assert ledger["types"]["PROVIDER_REFUND"] == (2, 800)
    assert ledger["balance"] == ledger["ledger"] == 1_000
    [paid] = await fetch(
        database_url, "SELECT refunded_amount FROM transactions WHERE id = $1", UUID(payment_id)
    )
    assert paid["refunded_amount"] == 800
    assert {item["refund_of"] for item in history.json()["items"]} == {payment_id}
    [event] = await fetch(
        database_url,
        "SELECT count(*) AS n FROM outbox"
        " WHERE aggregate_id = $1 AND event_type = 'refund.created'",
        UUID(payment_id),
    )
    assert event["n"] == 2


async def test_a_repeated_refund_credits_once(api: Api, database_url: str) -> None:
    user_id = await api.funded_wallet(1_000)
    payment_id = await _approved_payment(api, user_id, 500)
    event_id = new_event_id()
    data = {"payment_id": payment_id, "amount": 200}

    async with keyless_client(api.app) as provider:
        replies = await asyncio.gather(
            *(send_event(provider, "payment.refunded", data, event_id=event_id) for _ in range(5))
        )

    assert sorted(r.json()["status"] for r in replies) == ["applied"] + ["duplicate"] * 4
    ledger = await _ledger(database_url, user_id)
    assert ledger["balance"] == ledger["ledger"] == 700


async def test_a_refund_that_overtakes_its_settlement_settles_the_payment_and_credits(
    api: Api, database_url: str
) -> None:
    user_id = await api.funded_wallet(1_000)
    payment_id = await _pending_payment(api, user_id, 400)  # the mock holds `settled` back

    async with keyless_client(api.app) as provider:
        refunded = await send_event(
            provider, "payment.refunded", {"payment_id": payment_id, "amount": 150}
        )
        late = await send_event(
            provider, "payment.settled", {"payment_id": payment_id, "status": "approved"}
        )

    assert (refunded.json(), late.json()) == ({"status": "applied"}, {"status": "already_settled"})
    assert await _payment_status(api, user_id, payment_id) == "APPROVED"
    ledger = await _ledger(database_url, user_id)
    assert ledger["balance"] == ledger["ledger"] == 1_000 - 400 + 150
    assert ledger["types"]["PROVIDER_REFUND"] == (1, 150)


async def test_a_contradiction_is_counted_and_never_applied(api: Api, database_url: str) -> None:
    user_id = await api.funded_wallet(1_000)
    payment_id = await _approved_payment(api, user_id, 250)
    before = webhook_count("payment.settled", "contradiction")

    async with keyless_client(api.app) as provider:
        reply = await send_event(
            provider, "payment.settled", {"payment_id": payment_id, "status": "declined"}
        )

    assert reply.json() == {"status": "contradiction"}
    assert webhook_count("payment.settled", "contradiction") == before + 1
    assert await _payment_status(api, user_id, payment_id) == "APPROVED"
    assert await api.balances(user_id) == {"USD": {"available": 750, "pending": 0}}


async def test_an_agreeing_settlement_of_a_settled_payment_changes_nothing(api: Api) -> None:
    user_id = await api.funded_wallet(1_000)
    payment_id = await _approved_payment(api, user_id, 250)

    async with keyless_client(api.app) as provider:
        reply = await send_event(
            provider, "payment.settled", {"payment_id": payment_id, "status": "approved"}
        )

    assert reply.json() == {"status": "already_settled"}
    assert await api.balances(user_id) == {"USD": {"available": 750, "pending": 0}}


@pytest.mark.parametrize(
    ("event_type", "data", "status"),
    [
        ("payment.settled", {"status": "approved"}, "unknown_target"),
        ("payment.refunded", {"amount": 10}, "unknown_target"),
        (
            "dispute.updated",
            {"dispute_id": "018f0000-0000-7000-8000-0000000d1501", "status": "won"},
            "unknown_target",
        ),
        ("charge.captured", {"anything": 1}, "unsupported"),
    ],
    ids=["settled", "refunded", "dispute", "unsupported-type"],
)
async def test_an_event_about_nothing_we_know_is_acknowledged_and_stores_nothing(
    api: Api, database_url: str, event_type: str, data: dict[str, Any], status: str
) -> None:
    event_id = new_event_id()
    if event_type.startswith("payment."):
        data = {**data, "payment_id": str(uuid4())}

    async with keyless_client(api.app) as provider:
        reply = await send_event(provider, event_type, data, event_id=event_id)

    assert reply.status_code == 200
    assert reply.json() == {"status": status}
    assert await stored_events(database_url, event_id) == []


async def test_in_broker_mode_the_api_has_no_webhook_route(start_api: StartApi) -> None:
    async with start_api(webhook_mode="broker") as api, keyless_client(api.app) as provider:
        reply = await send_event(
            provider, "payment.settled", {"payment_id": str(uuid4()), "status": "approved"}
        )
        schema = (await provider.get("/openapi.json")).json()

    assert reply.status_code == 404
    assert reply.json()["error"]["code"] == "NOT_FOUND"
    assert "/webhooks/gateway" not in schema["paths"]


async def test_the_openapi_document_shows_the_route_without_a_key_and_its_headers(
    api: Api,
) -> None:
    schema = (await api.client.get("/openapi.json")).json()

    operation = schema["paths"]["/webhooks/gateway"]["post"]
    assert operation["security"] == []
    headers = {p["name"] for p in operation["parameters"] if p["in"] == "header"}
    assert headers == {"webhook-id", "webhook-timestamp", "webhook-signature"}
    assert set(operation["responses"]) == {"200", "400", "401", "413"}
