"""The one pooled httpx client for the gateway, created once per process (APP scope)."""

from __future__ import annotations

import httpx

from wallet_infra.gateway.settings import GatewaySettings


def make_gateway_http_client(settings: GatewaySettings) -> httpx.AsyncClient:
    """A pooled client with explicit limits. The caller owns it and must `aclose()` it.

    These timeouts are ceilings only: each call narrows them to its request deadline.
    """
    return httpx.AsyncClient(
        base_url=settings.url,
        timeout=httpx.Timeout(
            connect=settings.connect_timeout_s,
            read=settings.attempt_timeout_s,
            write=settings.attempt_timeout_s,
            pool=settings.connect_timeout_s,
        ),
        limits=httpx.Limits(
            max_connections=settings.max_connections,
            max_keepalive_connections=min(settings.max_concurrent, settings.max_connections),
        ),
        headers={"Accept": "application/json"},
    )
