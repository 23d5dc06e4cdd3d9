"""/healthz, /readyz, /metrics, the OpenAPI document and the request id."""

from __future__ import annotations

import re
import socket
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from wallet_api_testkit import Api, StartApi, new_user_id
from wallet_infra.config import EXPECTED_SCHEMA_VERSION
from wallet_testkit.amqp import with_vhost

MIGRATIONS = Path(__file__).resolve().parents[3] / "migrations"


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


async def test_healthz(api: Api) -> None:
    response = await api.client.get("/healthz")
    assert response.json() == {"status": "ok"}


async def test_readyz_checks_database_broker_and_schema(api: Api) -> None:
    response = await api.client.get("/readyz")
    assert response.status_code == 200, response.text
    assert response.json() == {
        "status": "ready",
        "checks": {"database": "ok", "broker": "ok", "schema": "ok"},
        "replicas": [],
    }


def test_expected_schema_version_is_the_latest_migration() -> None:
    numbers = [int(p.name.split("_", 1)[0]) for p in MIGRATIONS.glob("*.up.sql")]
    assert max(numbers) == EXPECTED_SCHEMA_VERSION


async def test_readyz_is_503_naming_the_broker(start_api: StartApi) -> None:
    async with start_api(amqp_url=f"amqp://guest:secret@127.0.0.1:{_closed_port()}/") as api:
        response = await api.client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {
        "status": "not_ready",
        "checks": {"database": "ok", "broker": "unreachable", "schema": "ok"},
        "replicas": [],
    }
    assert "secret" not in response.text


@pytest.mark.parametrize("wrong", ["password", "vhost"])
async def test_readyz_is_503_when_the_broker_refuses_the_configured_credentials_or_vhost(
    start_api: StartApi, amqp_url: str, wrong: str
) -> None:
    """RabbitMQ answers on its port but refuses the login or the virtual host: the API
    could publish nothing, so it is not ready (a TCP connect alone once read `ok`)."""
    parts = urlsplit(amqp_url)
    if wrong == "password":
        netloc = f"{parts.username}:hunter2@{parts.hostname}:{parts.port or 5672}"
        url = urlunsplit(parts._replace(netloc=netloc))
    else:
        url = with_vhost(amqp_url, "no-such-vhost-for-readyz")
    async with start_api(amqp_url=url) as api:
        response = await api.client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "ok", "broker": "refused", "schema": "ok"}
    assert "hunter2" not in response.text


async def test_readyz_is_503_naming_the_database(start_api: StartApi) -> None:
    dsn = f"postgresql://wallet:hunter2@127.0.0.1:{_closed_port()}/wallet"
    async with start_api(database_url=dsn) as api:
        response = await api.client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["database"] == "unreachable"
    assert response.json()["checks"]["schema"] != "ok"
    assert "hunter2" not in response.text


async def test_metrics_are_on_the_public_port_without_a_key_unless_turned_off(
    api: Api, start_api: StartApi
) -> None:
    served = await api.client.get("/metrics", headers={"X-API-Key": ""})
    assert served.status_code == 200
    assert "http_requests_total" in served.text
    async with start_api(api_metrics_public=False) as private:
        response = await private.client.get("/metrics", headers={"X-API-Key": ""})
    assert response.status_code == 404
    assert "http_requests_total" not in response.text


async def test_metrics_count_requests_by_route_template(start_api: StartApi) -> None:
    async with start_api(api_metrics_public=True) as api:
        user_id = await api.create_wallet()
        await api.client.get(f"/wallets/{user_id}/balance")
        await api.client.get("/no/such/path")
        response = await api.client.get("/metrics", headers={"X-API-Key": ""})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert re.search(
        r'http_requests_total\{method="GET",route="/wallets/\{user_id\}/balance",status="200"\} ',
        text,
    )
    assert 'route="unmatched",status="404"' in text
    assert "http_request_duration_seconds_bucket" in text
    assert user_id not in text  # raw paths never become labels


async def test_openapi_documents_the_api(api: Api) -> None:
    response = await api.client.get("/openapi.json")
    assert response.status_code == 200
    doc = response.json()
    assert set(doc["paths"]) >= {
        "/wallets",
        "/wallets/{user_id}/deposits",
        "/wallets/{user_id}/payments",
        "/wallets/{user_id}/payments/{payment_id}",
        "/wallets/{user_id}/balance",
        "/wallets/{user_id}/transactions",
        "/providers",
        "/healthz",
        "/readyz",
        "/metrics",
    }
    assert doc["paths"]["/metrics"]["get"]["security"] == []  # no key
    assert doc["components"]["securitySchemes"]["ApiKey"]["name"] == "X-API-Key"
    assert "HTTPValidationError" not in response.text
    payment = doc["paths"]["/wallets/{user_id}/payments"]["post"]["responses"]
    assert {"201", "400", "402", "409", "422", "502", "503", "504"} <= set(payment)
    assert (await api.client.get("/docs")).status_code == 200


async def test_request_id_is_echoed_or_generated(api: Api) -> None:
    echoed = await api.client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert echoed.headers["X-Request-ID"] == "abc-123"
    generated = await api.client.get("/healthz")
    assert re.fullmatch(r"[0-9a-f]{32}", generated.headers["X-Request-ID"])
    forged = await api.client.get("/healthz", headers={"X-Request-ID": "x" * 200})
    assert forged.headers["X-Request-ID"] != "x" * 200
    error = await api.client.get(f"/wallets/{new_user_id()}/balance", headers={"X-API-Key": ""})
    assert error.status_code == 401
    assert "X-Request-ID" in error.headers
