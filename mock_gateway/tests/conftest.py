"""Each test gets its own in-process mock gateway (no sockets, no shared state)."""

from __future__ import annotations

import importlib
import sys

# With `--import-mode=importlib` pytest names this file "mock_gateway.tests.conftest" and,
# unless the real package is already imported, registers the *directory* mock_gateway/ as a
# namespace package called "mock_gateway", hiding the installed one. Swap the real one in.
if getattr(sys.modules.get("mock_gateway"), "__file__", "") is None:
    del sys.modules["mock_gateway"]
    importlib.import_module("mock_gateway")

from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest
from fastapi import FastAPI
from mock_gateway.app import create_app
from mock_gateway.settings import Settings

HANG_S = 0.05


Body = Callable[..., dict[str, object]]
Charge = Callable[..., Awaitable[httpx.Response]]
MakeClient = Callable[..., httpx.AsyncClient]


def _payment(payment_id: str = "pay-1", reference: str = "bill-1") -> dict[str, object]:
    return {
        "payment_id": payment_id,
        "user_id": "alice",
        "amount": 1250,
        "currency": "USD",
        "provider_id": "c0ffee00-0000-7000-8000-000000000001",
        "external_reference": reference,
    }


def client_for(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://mock")


@pytest.fixture
def body() -> Body:
    """A valid `POST /payments` body: `body(payment_id, reference)`."""
    return _payment


async def _charge(
    client: httpx.AsyncClient, payment_id: str = "pay-1", reference: str = "bill-1"
) -> httpx.Response:
    body = _payment(payment_id, reference)
    return await client.post("/payments", json=body, headers={"Idempotency-Key": payment_id})


@pytest.fixture
def charge() -> Charge:
    """`await charge(client, payment_id, reference)`: a charge attempt with a valid body
    (`body(payment_id, reference)`), keyed by its payment_id."""
    return _charge


@pytest.fixture
def make_client() -> MakeClient:
    """Build a client for a fresh app with the given settings overrides."""

    def make(**overrides: object) -> httpx.AsyncClient:
        settings = Settings.model_validate({"hang_s": HANG_S, **overrides})
        return client_for(create_app(settings))

    return make


@pytest.fixture
async def client(make_client: MakeClient) -> AsyncIterator[httpx.AsyncClient]:
    async with make_client() as c:
        yield c
