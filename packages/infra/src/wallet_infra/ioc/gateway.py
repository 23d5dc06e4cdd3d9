"""The gateway client, APP scope: one pool, one bulkhead per process."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import NewType

import httpx
from dishka import Provider, Scope, provide
from wallet_domain.ports.payment_gateway import PaymentGateway

from wallet_infra.gateway import GatewaySettings, HttpxPaymentGateway, make_gateway_http_client

# Its own type so tests can swap in a client over `httpx.ASGITransport(app=mock_gateway)`
# by overriding this one provider, without touching the adapter's wiring.
GatewayHttpClient = NewType("GatewayHttpClient", httpx.AsyncClient)


class GatewayProvider(Provider):
    """The adapter is APP-scoped because its bulkhead (and any breaker) must count every
    payment of the process; a per-request adapter would limit nothing."""

    scope = Scope.APP

    @provide
    async def http_client(self, settings: GatewaySettings) -> AsyncIterator[GatewayHttpClient]:
        client = make_gateway_http_client(settings)
        yield GatewayHttpClient(client)
        await client.aclose()

    @provide
    def gateway(self, client: GatewayHttpClient, settings: GatewaySettings) -> PaymentGateway:
        return HttpxPaymentGateway(client=client, settings=settings)
