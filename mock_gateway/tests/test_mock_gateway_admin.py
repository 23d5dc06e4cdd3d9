"""Admin endpoints that tests and operators use to steer and inspect the mock."""

from __future__ import annotations

import httpx
import pytest
from mock_gateway.modes import Mode
from mock_gateway.settings import Settings

from .conftest import Charge, MakeClient


async def test_healthz(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_mode_reflects_settings(make_client: MakeClient) -> None:
    async with make_client(mode="latency", latency_ms=5, seed=3) as client:
        response = await client.get("/admin/mode")

        assert response.json() == {"mode": "latency", "latency_ms": 5, "seed": 3}


async def test_mode_switches_at_runtime(client: httpx.AsyncClient, charge: Charge) -> None:
    assert (await charge(client, "p1")).json()["status"] == "approved"

    switched = await client.put("/admin/mode", json={"mode": "declined", "latency_ms": 10})

    assert switched.json() == {"mode": "declined", "latency_ms": 10, "seed": 0}
    assert (await client.get("/admin/mode")).json()["mode"] == "declined"
    assert (await charge(client, "p2")).json()["status"] == "declined"


async def test_unknown_mode_is_400_and_changes_nothing(client: httpx.AsyncClient) -> None:
    response = await client.put("/admin/mode", json={"mode": "chaos"})

    assert response.status_code == 400
    assert "happy" in response.json()["modes"]
    assert (await client.get("/admin/mode")).json()["mode"] == "happy"


async def test_new_seed_restarts_the_random_sequence(
    make_client: MakeClient, charge: Charge
) -> None:
    async with make_client(hang_s=0.001) as client:

        async def run(prefix: str) -> list[int]:
            await client.put("/admin/mode", json={"mode": "random", "seed": 42})
            return [(await charge(client, f"{prefix}{n}")).status_code for n in range(20)]

        assert await run("a") == await run("b")


async def test_stats_count_attempts_and_charges(client: httpx.AsyncClient, charge: Charge) -> None:
    await charge(client, "p1")
    await charge(client, "p1")
    await charge(client, "p2", "mock:error:x")
    await charge(client, "p3", "mock:declined:x")

    stats = (await client.get("/admin/stats")).json()

    assert stats == {"attempts": {"p1": 2, "p2": 1, "p3": 1}, "charges": {"p1": 1}}


async def test_reset_forgets_payments_and_restores_startup_mode(
    client: httpx.AsyncClient, charge: Charge
) -> None:
    await charge(client, "p1")
    await client.put("/admin/mode", json={"mode": "error"})

    assert (await client.post("/admin/reset")).status_code == 200

    assert (await client.get("/admin/stats")).json() == {"attempts": {}, "charges": {}}
    assert (await client.get("/payments/p1")).status_code == 404
    assert (await client.get("/admin/mode")).json()["mode"] == "happy"


async def test_release_without_held_charges_is_harmless(client: httpx.AsyncClient) -> None:
    assert (await client.post("/admin/release")).json() == {"released": 0}


def test_settings_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOCK_GATEWAY_MODE", "random")
    monkeypatch.setenv("MOCK_GATEWAY_SEED", "9")
    monkeypatch.setenv("MOCK_GATEWAY_WEIGHTS", "happy=3, declined=1")
    monkeypatch.setenv("MOCK_GATEWAY_HANG_S", "0.5")

    settings = Settings()

    assert settings.mode is Mode.RANDOM
    assert settings.seed == 9
    assert settings.weights == {Mode.HAPPY: 3, Mode.DECLINED: 1}
    assert settings.hang_s == 0.5
    assert (settings.host, settings.port, settings.latency_ms) == ("127.0.0.1", 8100, 200)


@pytest.mark.parametrize("weights", ["happy", "latency=1", "happy=-1", "happy=0", "bogus=1"])
def test_bad_weights_are_rejected(weights: str) -> None:
    with pytest.raises(ValueError, match="weights"):
        Settings(weights=weights)  # type: ignore[arg-type]


def test_entry_point_serves_on_configured_host_and_port(monkeypatch: pytest.MonkeyPatch) -> None:
    from mock_gateway import __main__ as entry

    served: dict[str, object] = {}

    def fake_run(app: object, *, host: str, port: int, **options: object) -> None:
        served.update(app=app, host=host, port=port, **options)

    monkeypatch.setenv("MOCK_GATEWAY_HOST", "10.1.2.3")
    monkeypatch.setenv("MOCK_GATEWAY_PORT", "8123")
    monkeypatch.setattr(entry.uvicorn, "run", fake_run)

    entry.main()

    assert served["host"] == "10.1.2.3"
    assert served["port"] == 8123
    assert served["access_log"] is False  # a per-request log line would skew benchmarks
