"""Helpers shared by the API tests (imported by name: conftest puts this folder on sys.path).

Kept out of conftest so tests can import the types they annotate with.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any, Final

import httpx
from dishka import Provider, Scope, provide
from fastapi import FastAPI
from wallet_infra.ioc import GatewayHttpClient

SERVICE_KEY: Final = "test-service-key"
SCOPED_KEY: Final = "test-scoped-key"
SCOPED_USER: Final = f"scoped-{uuid.uuid4().hex[:12]}"
PROVIDER_ID: Final = "01890a5d-ac96-774b-bcce-b302099a8057"  # City Power & Light (seeded)
INACTIVE_PROVIDER_ID: Final = "01890a5d-ac96-7c3e-8f60-8d5b1e4a7f04"  # retired in the seed
# Strings that must never reach a client: driver, SQL and Python internals.
LEAK_MARKERS: Final = (
    "Traceback",
    'File "',
    "sqlalchemy",
    "asyncpg",
    "SELECT ",
    "INSERT ",
    "UPDATE ",
    "psycopg",
    "errors.pydantic.dev",
    "input_value",
    SERVICE_KEY,
    SCOPED_KEY,
)


# Every >= 400 response an API test client received (conftest installs the hook on each
# client); checked for leaks once the whole session is over.
ERROR_RESPONSES: Final[list[tuple[str, int, str]]] = []


async def record_error_response(response: httpx.Response) -> None:
    """httpx response hook: keep what an error response showed the client."""
    if response.status_code >= 400:
        await response.aread()
        where = f"{response.request.method} {response.request.url.path}"
        headers = "\n".join(f"{k}: {v}" for k, v in response.headers.items())
        ERROR_RESPONSES.append((where, response.status_code, f"{headers}\n{response.text}"))


def leaking_error_responses() -> list[tuple[str, int, str]]:
    """(request, status, marker) of every recorded error response showing a LEAK_MARKER."""
    return [
        (where, status, marker)
        for where, status, text in ERROR_RESPONSES
        for marker in LEAK_MARKERS
        if marker in text
    ]


class MockGatewayClientProvider(Provider):
    """Overrides infra's gateway client: same adapter, requests go to the mock app."""

    def __init__(self, mock_app: Any) -> None:
        super().__init__(scope=Scope.APP)
        self._mock_app = mock_app

    @provide
    async def client(self) -> AsyncIterator[GatewayHttpClient]:
        transport = httpx.ASGITransport(app=self._mock_app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
            yield GatewayHttpClient(client)


def new_user_id(prefix: str = "u") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:16]}"


def new_key() -> str:
    return uuid.uuid4().hex


def assert_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """The §6 envelope with `code` and `status`, and nothing that leaks internals."""
    assert response.status_code == status, (response.status_code, response.text)
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert set(error) == {"code", "message", "details"}, error
    assert error["code"] == code, error
    assert isinstance(error["message"], str)
    assert isinstance(error["details"], dict)
    for marker in LEAK_MARKERS:
        assert marker not in response.text, (marker, response.text)
    return dict(error)


class Api:
    """The API under test, through its real ASGI app, authenticated as a service."""

    def __init__(self, client: httpx.AsyncClient, app: FastAPI) -> None:
        self.client = client
        self.app = app

    async def create_wallet(self, user_id: str | None = None) -> str:
        user_id = user_id or new_user_id()
        response = await self.client.post("/wallets", json={"user_id": user_id})
        assert response.status_code == 201, response.text
        return user_id

    async def deposit(
        self, user_id: str, amount: int, currency: str = "USD", *, key: str | None = None
    ) -> httpx.Response:
        return await self.client.post(
            f"/wallets/{user_id}/deposits",
            json={"amount": amount, "currency": currency},
            headers={"Idempotency-Key": key or new_key()},
        )

    async def funded_wallet(self, amount: int, currency: str = "USD") -> str:
        user_id = await self.create_wallet()
        if amount:
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
        return await self.client.post(
            f"/wallets/{user_id}/payments",
            json={
                "provider_id": provider_id,
                "external_reference": reference,
                "amount": amount,
                "currency": currency,
            },
            headers={"Idempotency-Key": key or new_key()},
        )

    async def balances(self, user_id: str) -> dict[str, dict[str, int]]:
        """{currency: {"available": .., "pending": ..}}."""
        response = await self.client.get(f"/wallets/{user_id}/balance")
        assert response.status_code == 200, response.text
        return {
            b["currency"]: {"available": b["available"], "pending": b["pending"]}
            for b in response.json()["balances"]
        }


StartApi = Callable[..., AbstractAsyncContextManager[Api]]
