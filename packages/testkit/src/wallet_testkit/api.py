"""The API under test in-process: its gateway client pointed at an in-process mock
gateway, its lifespan run, a client authenticated with a service key, and `Api`, the
calls the tests make through that client.

The API app itself is passed in (`wallet_api.main.make_app(...)`): the testkit imports no
app, so the apps stay independent of each other and of it.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any, Final

import httpx
from asgi_lifespan import LifespanManager
from dishka import Provider, Scope, provide
from wallet_infra.ioc import GatewayHttpClient

PROVIDER_ID: Final = "01890a5d-ac96-774b-bcce-b302099a8057"  # City Power & Light (seeded)


class MockGatewayClientProvider(Provider):
    """Overrides infra's gateway client: the same adapter, its requests served by an
    in-process mock gateway app (through `httpx.ASGITransport`)."""

    def __init__(self, mock_app: Any) -> None:
        super().__init__(scope=Scope.APP)
        self._mock_app = mock_app

    @provide
    async def client(self) -> AsyncIterator[GatewayHttpClient]:
        transport = httpx.ASGITransport(app=self._mock_app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
            yield GatewayHttpClient(client)


@asynccontextmanager
async def lifespan_client(
    app: Any, *, api_key: str, **client_options: Any
) -> AsyncIterator[httpx.AsyncClient]:
    """`app` with its lifespan run, and an in-process client sending `X-API-Key: api_key`
    to it (more `httpx.AsyncClient` options, e.g. `timeout`, `event_hooks`, pass through)."""
    async with (
        LifespanManager(app) as manager,
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=manager.app),
            base_url="http://api",
            headers={"X-API-Key": api_key},
            **client_options,
        ) as client,
    ):
        yield client


def new_user_id(prefix: str = "u") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:16]}"


def new_key() -> str:
    """A fresh Idempotency-Key."""
    return uuid.uuid4().hex


def created(response: httpx.Response) -> dict[str, Any]:
    """The body of a 201 Created (anything else fails the test, showing the body)."""
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


class Api:
    """The API under test through `client` (authenticated as a service); `app` is the
    ASGI app behind it, when the test has one."""

    def __init__(self, client: httpx.AsyncClient, app: Any = None) -> None:
        self.client = client
        self.app = app

    async def create_wallet(self, user_id: str | None = None) -> str:
        user_id = user_id or new_user_id()
        response = await self.client.post("/wallets", json={"user_id": user_id})
        assert response.status_code == 201, response.text
        return user_id

    async def deposit(
        self,
        user_id: str,
        amount: int,
        currency: str = "USD",
        *,
        key: str | None = None,
        **fields: Any,
    ) -> httpx.Response:
        """`POST /wallets/{user_id}/deposits`; `fields`: more of the body (`two_phase`)."""
        body = {"amount": amount, "currency": currency, **fields}
        return await self._post_keyed(f"/wallets/{user_id}/deposits", body, key)

    async def hold(
        self, user_id: str, amount: int, *, key: str | None = None, **fields: Any
    ) -> httpx.Response:
        """`POST /wallets/{user_id}/holds` in USD; `fields`: more of the body (`currency`,
        `expires_in_s`)."""
        body = {"amount": amount, "currency": "USD", **fields}
        return await self._post_keyed(f"/wallets/{user_id}/holds", body, key)

    async def _post_keyed(self, path: str, body: dict[str, Any], key: str | None) -> httpx.Response:
        """`POST path` under Idempotency-Key `key` (a fresh one by default)."""
        return await self.client.post(
            path, json=body, headers={"Idempotency-Key": key or new_key()}
        )

    async def funded_wallet(self, amount: int, currency: str = "USD") -> str:
        user_id = await self.create_wallet()
        if amount:
            response = await self.deposit(user_id, amount, currency)
            assert response.status_code == 201, response.text
        return user_id

    async def wallet_with(self, deposits: Mapping[str, int]) -> str:
        """A new wallet with one deposit per currency: {currency: amount}."""
        user_id = await self.create_wallet()
        for currency, amount in deposits.items():
            response = await self.deposit(user_id, amount, currency)
            assert response.status_code == 201, response.text
        return user_id

    async def pay(
        self,
        user_id: str,
        amount: int,
        reference: str = "bill-1",
        *,
        currency: str = "USD",
        key: str | None = None,
        provider_id: str = PROVIDER_ID,
    ) -> httpx.Response:
        body = {
            "provider_id": provider_id,
            "external_reference": reference,
            "amount": amount,
            "currency": currency,
        }
        return await self._post_keyed(f"/wallets/{user_id}/payments", body, key)

    async def balances(self, user_id: str) -> dict[str, dict[str, int]]:
        """{currency: {"available": .., "pending": ..}}."""
        response = await self.client.get(f"/wallets/{user_id}/balance")
        assert response.status_code == 200, response.text
        return {
            b["currency"]: {"available": b["available"], "pending": b["pending"]}
            for b in response.json()["balances"]
        }
