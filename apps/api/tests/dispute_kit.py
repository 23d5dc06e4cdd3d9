"""Disputes under test: open one on a fresh approved payment, let the mock provider move
it, and deliver the provider's signed event to the wallet.

`Delivery` is how a provider event reaches the wallet; the lifecycle tests take it as a
parameter so each delivery mode runs the same story: `use_case` applies the body the mock
would send with `ApplyProviderEvent` (what the webhook route and the webhook consumer
call, dedupe by provider event id included); `sync_route` POSTs it, signed as the mock
signs it, to the API's `POST /webhooks/gateway`. A mode is one entry of DELIVERIES.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any, Final

import httpx
import orjson
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from wallet_api_testkit import Api, new_key
from wallet_domain.model.provider_event import DisputeUpdated, ProviderEventOutcome
from wallet_domain.use_cases.apply_provider_event import ApplyProviderEvent
from wallet_infra.webhooks.provider_event_body import decode_provider_event
from webhook_kit import WEBHOOK_PATH, keyless_client, signed_headers

Delivery = Callable[[Api, bytes], Awaitable[ProviderEventOutcome]]


async def via_use_case(api: Api, body: bytes) -> ProviderEventOutcome:
    event = decode_provider_event(body)
    assert isinstance(event, DisputeUpdated), event
    async with api.app.state.dishka_container() as request:
        use_case = await request.get(ApplyProviderEvent)
        return await use_case.execute(event)


async def via_sync_route(api: Api, body: bytes) -> ProviderEventOutcome:
    event_id = orjson.loads(body)["provider_event_id"]
    async with keyless_client(api.app) as client:
        response = await client.post(
            WEBHOOK_PATH, content=body, headers=signed_headers(body, event_id)
        )
    assert response.status_code == 200, response.text
    return ProviderEventOutcome(response.json()["status"])


DELIVERIES: Final[dict[str, Delivery]] = {
    "use_case": via_use_case,
    "sync_route": via_sync_route,
}
DELIVERY_MODES: Final = tuple(DELIVERIES)


class Provider:
    """The mock gateway's side: its admin moves, and the webhook bodies it queued."""

    def __init__(self, mock_app: FastAPI) -> None:
        self._app = mock_app

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self._app), base_url="http://mock"
        )

    async def move(self, dispute_id: str, status: str) -> bytes:
        """The provider decides `status`; returns the body of the webhook it sends."""
        async with self.client() as client:
            response = await client.post(
                f"/admin/disputes/{dispute_id}/status", json={"status": status}
            )
        assert response.status_code == 202, response.text
        event_id = response.json()["webhook"]["provider_event_id"]
        body: bytes = self._app.state.gateway.webhooks.deliveries[event_id].body
        return body

    def filed(self, dispute_id: str) -> dict[str, Any] | None:
        record = self._app.state.gateway.disputes.get(dispute_id)
        return None if record is None else dict(record.view())


async def approved_payment(api: Api, amount: int = 300, funded: int = 1_000) -> tuple[str, str]:
    """A fresh wallet with `funded` USD and one APPROVED payment of `amount`."""
    user_id = await api.funded_wallet(funded)
    response = await api.pay(user_id, amount, f"bill-{uuid.uuid4().hex[:8]}")
    assert response.status_code == 201, response.text
    return user_id, response.json()["id"]


async def open_dispute(
    api: Api,
    user_id: str,
    payment_id: str,
    *,
    reason: str = "not delivered",
    key: str | None = None,
    client: httpx.AsyncClient | None = None,
    **fields: Any,
) -> httpx.Response:
    return await (client or api.client).post(
        f"/wallets/{user_id}/payments/{payment_id}/disputes",
        json={"reason": reason, **fields},
        headers={"Idempotency-Key": key or new_key()},
    )


async def opened(api: Api, user_id: str, payment_id: str) -> str:
    response = await open_dispute(api, user_id, payment_id)
    assert response.status_code == 201, response.text
    dispute_id: str = response.json()["id"]
    return dispute_id


async def assert_ledger_whole(engine: AsyncEngine, user_id: str) -> None:
    """The wallet's balance is the sum of its ledger rows that count; each won dispute has
    at most one CHARGEBACK, of at most its amount (what the payment had left to give back),
    and no other dispute has one; no payment gave back more than its amount."""
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                text(
                    "SELECT b.balance, (SELECT sum(amount) FROM transactions t"
                    " WHERE t.user_id = b.user_id AND t.currency = b.currency"
                    " AND (t.type <> 'DEPOSIT' OR t.status = 'COMPLETED')) AS total"
                    " FROM wallet_balances b WHERE b.user_id = :u AND b.currency = 'USD'"
                ),
                {"u": user_id},
            )
        ).one()
        assert row.balance == row.total, row
        credits = await conn.execute(
            text(
                "SELECT d.status, d.amount, array_agg(t.amount) FILTER (WHERE t.id IS NOT NULL)"
                " AS credits FROM disputes d LEFT JOIN transactions t"
                " ON t.dispute_id = d.id AND t.type = 'CHARGEBACK'"
                " WHERE d.user_id = :u GROUP BY d.id, d.status, d.amount"
            ),
            {"u": user_id},
        )
        for dispute in credits:
            if dispute.status != "WON" or dispute.credits is None:
                assert dispute.credits is None, dispute
                continue
            [credit] = dispute.credits
            assert 0 < credit <= dispute.amount, dispute
        over = await conn.execute(
            text(
                "SELECT id FROM transactions WHERE user_id = :u AND type = 'PAYMENT'"
                " AND refunded_amount + charged_back_amount > -amount"
            ),
            {"u": user_id},
        )
        assert over.all() == []
