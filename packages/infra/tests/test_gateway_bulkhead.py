"""Admission (bulkhead), settings and the pooled client factory."""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack

import httpx
import pytest
from pydantic import ValidationError
from wallet_domain.errors import GatewayUnavailable
from wallet_infra.gateway import (
    Bulkhead,
    GatewaySettings,
    HttpxPaymentGateway,
    make_gateway_http_client,
)
from wallet_infra.gateway.admission import admitted_ticket
from wallet_infra.gateway.aiohttp_transport import SafeAiohttpTransport


def gateway(max_concurrent: int) -> HttpxPaymentGateway:
    settings = GatewaySettings(max_concurrent=max_concurrent)
    return HttpxPaymentGateway(client=httpx.AsyncClient(), settings=settings)


async def test_full_bulkhead_refuses_at_once_and_frees_on_exit() -> None:
    gw = gateway(max_concurrent=2)

    async with AsyncExitStack() as held:
        await held.enter_async_context(gw.admission())
        await held.enter_async_context(gw.admission())

        with pytest.raises(GatewayUnavailable) as refused:
            await asyncio.wait_for(gw.admission().__aenter__(), timeout=0.1)  # no waiting
        assert refused.value.retry_after_s == 1
        assert gw.bulkhead.in_use == 2

    assert gw.bulkhead.in_use == 0
    async with gw.admission():
        assert gw.bulkhead.in_use == 1


async def test_slot_is_released_when_the_block_raises() -> None:
    gw = gateway(max_concurrent=1)

    with pytest.raises(RuntimeError, match="crash"):
        async with gw.admission():
            raise RuntimeError("crash")

    assert gw.bulkhead.in_use == 0


async def test_the_breaker_ticket_is_current_only_inside_the_admission() -> None:
    gw = gateway(max_concurrent=1)

    assert admitted_ticket() is None
    async with gw.admission():
        ticket = admitted_ticket()
        assert ticket is not None
        assert not ticket.probe  # a closed circuit admits ordinary calls
    assert admitted_ticket() is None


async def test_refusal_does_not_consume_a_slot() -> None:
    bulkhead = Bulkhead(1)

    async with bulkhead.slot():
        for _ in range(3):
            with pytest.raises(GatewayUnavailable):
                async with bulkhead.slot():
                    pass

    assert bulkhead.in_use == 0
    assert bulkhead.try_acquire()


def test_bulkhead_rejects_nonsense() -> None:
    with pytest.raises(ValueError, match="capacity"):
        Bulkhead(0)
    with pytest.raises(RuntimeError, match="released"):
        Bulkhead(1).release()


def test_settings_defaults_and_immutability() -> None:
    settings = GatewaySettings()

    assert settings.url == "http://127.0.0.1:8100"
    assert (settings.max_attempts, settings.lookup_attempts, settings.max_concurrent) == (3, 2, 100)
    with pytest.raises(ValidationError):
        settings.max_attempts = 5  # type: ignore[misc]


@pytest.mark.parametrize(
    "bad",
    [
        {"max_attempts": 0},
        {"attempt_timeout_s": 0},
        {"max_concurrent": 0},
        {"backoff_initial_s": 2.0, "backoff_max_s": 1.0},
        {"unknown_field": 1},
    ],
)
def test_settings_reject_invalid_values(bad: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        GatewaySettings.model_validate(bad)


async def test_http_client_has_explicit_timeouts_and_limits() -> None:
    settings = GatewaySettings(
        url="http://gw.internal:9000",
        connect_timeout_s=0.5,
        attempt_timeout_s=1.5,
        max_connections=50,
        max_concurrent=20,
    )

    async with make_gateway_http_client(settings) as client:
        assert str(client.base_url) == "http://gw.internal:9000"
        assert client.timeout == httpx.Timeout(connect=0.5, read=1.5, write=1.5, pool=0.5)
        transport = client._transport
        assert isinstance(transport, SafeAiohttpTransport)
        assert transport.limits.max_connections == 50
        assert transport.limits.max_keepalive_connections == 20  # not enforced by aiohttp
