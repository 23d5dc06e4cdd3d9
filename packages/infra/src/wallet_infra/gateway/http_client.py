"""The one pooled httpx client for the gateway, created once per process (APP scope)."""

from __future__ import annotations

from typing import Final

import httpx

from wallet_infra.gateway.aiohttp_transport import SafeAiohttpTransport
from wallet_infra.gateway.settings import GatewaySettings

KEEPALIVE_EXPIRY_S: Final = 4.0


def make_gateway_http_client(settings: GatewaySettings) -> httpx.AsyncClient:
    """A pooled client with explicit limits. The caller owns it and must `aclose()` it.

    These timeouts are ceilings only: each call narrows them to its request deadline.
    The I/O runs on aiohttp (far less CPU per call than httpcore + anyio) through
    SafeAiohttpTransport, which keeps "never reached the gateway" and "may have reached it"
    apart; its session and connection pool are created by the first request.
    """
    limits = httpx.Limits(
        max_connections=settings.max_connections,
        max_keepalive_connections=min(settings.max_concurrent, settings.max_connections),
        # Below the usual 5 s server idle timeout (uvicorn's), so we drop an idle connection
        # before the gateway does instead of racing it with a request (a needless retry).
        keepalive_expiry=KEEPALIVE_EXPIRY_S,
    )
    client = httpx.AsyncClient(
        base_url=settings.url,
        timeout=httpx.Timeout(
            connect=settings.connect_timeout_s,
            read=settings.attempt_timeout_s,
            write=settings.attempt_timeout_s,
            pool=settings.connect_timeout_s,
        ),
        transport=SafeAiohttpTransport(limits=limits),
        headers={"Accept": "application/json"},
    )
    return client
