"""The whole pipeline in THIS process for the observability tests: the API (paying through
an in-process mock gateway), the outbox relay and the metrics consumer, on one database
and one RabbitMQ virtual host, all reporting spans to one in-memory exporter.

In-process on purpose: one TracerProvider sees every span, so a test can check that one
payment is one trace from the HTTP request to the consumer's handling.
"""

from __future__ import annotations

import importlib
import sys

# See mock_gateway/tests/conftest.py: with --import-mode=importlib pytest may register the
# mock_gateway/ *directory* as a namespace package, hiding the installed one.
if getattr(sys.modules.get("mock_gateway"), "__file__", "") is None:
    sys.modules.pop("mock_gateway", None)
    importlib.import_module("mock_gateway")

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from typing import Any, Final
from uuid import uuid4

import httpx
from asgi_lifespan import LifespanManager
from faststream import TestApp
from faststream.asgi import AsgiFastStream
from prometheus_client.parser import text_string_to_metric_families
from wallet_api.main import make_app as make_api
from wallet_infra.config.settings import Settings
from wallet_metrics_consumer.main import make_app as make_metrics_consumer
from wallet_relay.main import make_app as make_relay
from wallet_testkit import amqp
from wallet_testkit.api import MockGatewayClientProvider

from mock_gateway import Settings as MockGatewaySettings
from mock_gateway import create_app as create_mock_gateway

API_KEY: Final = "obs-secret-key-7f3a9c"
PROVIDER_ID: Final = "01890a5d-ac96-774b-bcce-b302099a8057"  # City Power & Light (seeded)


# --------------------------------------------------------------------------- tracing


# --------------------------------------------------------------------------- broker vhost


@contextmanager
def private_vhost(control: Any, base_url: str) -> Iterator[str]:
    """A RabbitMQ virtual host of this test's own (the base URL's if no rabbitmqctl)."""
    if control is None:
        yield base_url
        return
    with amqp.private_vhost(control, base_url, prefix="wallet-obs-") as vhost:
        yield vhost.url


# --------------------------------------------------------------------------- the stack


def stack_settings(database_url: str, amqp_url: str, **overrides: Any) -> Settings:
    return Settings.model_validate(
        {
            "database_url": database_url,
            "amqp_url": amqp_url,
            "api_keys": API_KEY,
            "log_level": "warning",
            "db_pool_size": 5,
            "db_max_overflow": 0,
            "recovery_enabled": False,
            "relay_poll_interval_s": 0.2,
            "relay_metrics_port": 0,  # the test reads the registry, not a port
            # In-process there is no `wallet-api` metrics port: read them on the API's.
            "api_metrics_public": True,
            **overrides,
        }
    )


@dataclass
class Stack:
    api: httpx.AsyncClient
    consumer: AsgiFastStream
    settings: Settings

    async def consumer_metrics(self) -> str:
        transport = httpx.ASGITransport(app=self.consumer)
        async with httpx.AsyncClient(transport=transport, base_url="http://consumer") as client:
            response = await client.get("/metrics")
        assert response.status_code == 200, response.text
        return response.text

    async def api_metrics(self) -> str:
        response = await self.api.get("/metrics")
        assert response.status_code == 200, response.text
        return response.text


@asynccontextmanager
async def running_stack(settings: Settings) -> AsyncIterator[Stack]:
    """API + relay + metrics consumer, in this process, until the block ends."""
    mock_app = create_mock_gateway(MockGatewaySettings())
    api_app = make_api(MockGatewayClientProvider(mock_app), settings=settings)
    consumer = make_metrics_consumer(settings=settings)
    stop = asyncio.Event()
    async with LifespanManager(api_app) as manager, TestApp(consumer):
        relay = asyncio.create_task(make_relay(settings=settings).run(stop), name="obs-relay")
        try:
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=manager.app),
                base_url="http://api",
                headers={"X-API-Key": API_KEY},
            ) as client:
                yield Stack(api=client, consumer=consumer, settings=settings)
        finally:
            stop.set()
            await asyncio.wait_for(relay, timeout=20)


# --------------------------------------------------------------------------- API calls


async def funded_wallet(api: httpx.AsyncClient, amount: int, currency: str = "USD") -> str:
    user_id = f"obs-{uuid4().hex[:16]}"
    response = await api.post("/wallets", json={"user_id": user_id})
    assert response.status_code == 201, response.text
    response = await api.post(
        f"/wallets/{user_id}/deposits",
        json={"amount": amount, "currency": currency},
        headers={"Idempotency-Key": uuid4().hex},
    )
    assert response.status_code == 201, response.text
    return user_id


async def pay(
    api: httpx.AsyncClient, user_id: str, amount: int, reference: str, currency: str = "USD"
) -> httpx.Response:
    return await api.post(
        f"/wallets/{user_id}/payments",
        json={
            "provider_id": PROVIDER_ID,
            "external_reference": reference,
            "amount": amount,
            "currency": currency,
        },
        headers={"Idempotency-Key": uuid4().hex},
    )


# --------------------------------------------------------------------------- polling, metrics


async def eventually(
    check: Callable[[], Awaitable[bool]], *, timeout_s: float = 30.0, interval_s: float = 0.1
) -> None:
    deadline = time.monotonic() + timeout_s
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout_s}s")
        await asyncio.sleep(interval_s)


def sample(text: str, name: str, **labels: str) -> float:
    """The sum of `name`'s samples whose labels include `labels` (0 if none)."""
    found = 0.0
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == name and labels.items() <= s.labels.items():
                found += s.value
    return found


def has_series(text: str, name: str) -> bool:
    return any(
        s.name == name for family in text_string_to_metric_families(text) for s in family.samples
    )
