"""The consumers' `/healthz` (HealthProbe with their two checks): fixed words, 200 or 503."""

from __future__ import annotations

import socket

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine
from wallet_infra.consuming.routes import healthz_route
from wallet_infra.health import HealthProbe, broker_connected, database
from wallet_infra.messaging.broker import make_broker
from wallet_infra.persistence.engine import make_engine


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


async def _get_healthz(health: HealthProbe) -> httpx.Response:
    async def source() -> HealthProbe:
        return health

    transport = httpx.ASGITransport(app=healthz_route(source))
    async with httpx.AsyncClient(transport=transport, base_url="http://consumer") as client:
        return await client.get("/healthz")


async def test_unhealthy_without_broker_and_database() -> None:
    port = _closed_port()
    engine = make_engine(f"postgresql://wallet:secret@127.0.0.1:{port}/wallet")
    broker = make_broker(f"amqp://guest:guest@127.0.0.1:{port}/")  # never connected
    try:
        response = await _get_healthz(
            HealthProbe(broker_connected(broker, timeout_s=1), database(engine, timeout_s=1))
        )
    finally:
        await engine.dispose()

    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "checks": {"broker": "disconnected", "database": "unreachable"},
    }
    assert "secret" not in response.text


async def test_the_database_check_alone_passes_on_a_live_database(engine: AsyncEngine) -> None:
    broker = make_broker("amqp://guest:guest@127.0.0.1:1/")

    result = await HealthProbe(
        broker_connected(broker, timeout_s=1), database(engine, timeout_s=1)
    ).check()

    assert result.checks == {"broker": "disconnected", "database": "ok"}
    assert not result.ok
