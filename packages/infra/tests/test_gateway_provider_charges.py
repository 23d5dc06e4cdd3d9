"""HttpxProviderCharges against the mock gateway: the charge list walked page by page in
payment-id order, and single payments asked about."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

import httpx
from wallet_infra.gateway.provider_charges import HttpxProviderCharges

from mock_gateway import Settings as MockGatewaySettings
from mock_gateway import create_app as create_mock_gateway


async def test_pages_are_walked_in_payment_id_order_and_only_the_window() -> None:
    mock = create_mock_gateway(MockGatewaySettings())
    transport = httpx.ASGITransport(app=mock)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
        ids = sorted(UUID(int=n) for n in (5, 1, 4, 2, 3))
        for payment_id in reversed(ids):
            body = {"amount": payment_id.int * 10, "currency": "EUR"}
            assert (await client.put(f"/admin/charges/{payment_id}", json=body)).is_success
        charges = HttpxProviderCharges(client=client, page_size=2)
        now = datetime.now(UTC)

        found = [c async for c in charges.charges(now - timedelta(minutes=1), now + timedelta(1))]
        later = [c async for c in charges.charges(now + timedelta(1), now + timedelta(2))]

        assert [c.payment_id for c in found] == ids
        assert [(c.amount, c.currency) for c in found] == [(10, "EUR"), (20, "EUR"), (30, "EUR"),
                                                           (40, "EUR"), (50, "EUR")]  # fmt: skip
        assert later == []
        assert await charges.was_charged(ids[0]) is True
        assert await charges.was_charged(UUID(int=99)) is False
