"""Logs: every line logged while a request is served carries its request_id and
the trace_id (and span_id) of the span current at the time; no line shows an API key.

The API runs in a child process with JSON logs on stderr, exactly as `wallet-api` sets it
up (configure_telemetry, then the app): structlog caches loggers on first use, so the
output of a process that already logged elsewhere (this test session) cannot be rerouted.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Final

import orjson
import pytest

pytestmark = pytest.mark.integration

ROOT: Final = Path(__file__).resolve().parents[1]
API_KEY: Final = "obs-log-secret-4b1e2d"
WRONG_KEY: Final = "obs-wrong-secret-9d8c7b"
BEGIN, END = "@@requests-begin", "@@requests-end"
# Logged by the API's background jobs (not by a request) whenever they happen to run.
# The background jobs' lines (they run outside any request, over the whole shared test
# database: holds other tests left behind may expire while this test's API runs).
BACKGROUND_EVENTS: Final = frozenset(
    {"idempotency_purged", "holds_expired", "pending_payments_recovered"}
)

SCRIPT: Final = f"""
import asyncio, importlib, sys, uuid
import httpx
from asgi_lifespan import LifespanManager
from dishka import Provider, Scope, provide
from wallet_api.main import make_app
from wallet_infra.config.settings import Settings
from wallet_infra.ioc import GatewayHttpClient
from wallet_infra.telemetry import configure_telemetry
from mock_gateway import create_app as create_mock_gateway

PROVIDER_ID = "01890a5d-ac96-774b-bcce-b302099a8057"

class MockGateway(Provider):
    def __init__(self, app):
        super().__init__(scope=Scope.APP)
        self._app = app

    @provide
    async def client(self) -> GatewayHttpClient:
        transport = httpx.ASGITransport(app=self._app)
        return GatewayHttpClient(httpx.AsyncClient(transport=transport, base_url="http://gw"))

async def main(database_url):
    configure_telemetry("wallet-api")
    settings = Settings.model_validate({{
        "database_url": database_url, "api_keys": "{API_KEY}", "log_format": "json",
        "log_level": "debug", "recovery_enabled": False, "db_pool_size": 2,
        "db_max_overflow": 0,
    }})
    app = make_app(MockGateway(create_mock_gateway()), settings=settings)
    async with LifespanManager(app) as manager, httpx.AsyncClient(
        transport=httpx.ASGITransport(app=manager.app), base_url="http://api",
        headers={{"X-API-Key": "{API_KEY}"}},
    ) as api:
        print("{BEGIN}", file=sys.stderr, flush=True)
        user = "obs-log-" + uuid.uuid4().hex[:12]
        assert (await api.post("/wallets", json={{"user_id": user}})).status_code == 201
        deposit = {{"amount": 5000, "currency": "USD"}}
        key = {{"Idempotency-Key": uuid.uuid4().hex}}
        r = await api.post(f"/wallets/{{user}}/deposits", json=deposit, headers=key)
        assert r.status_code == 201, r.text
        payment = {{"provider_id": PROVIDER_ID, "external_reference": "obs-log-1",
                   "amount": 700, "currency": "USD"}}
        key = {{"Idempotency-Key": uuid.uuid4().hex}}
        r = await api.post(f"/wallets/{{user}}/payments", json=payment, headers=key)
        assert r.status_code == 201, r.text
        r = await api.get(f"/wallets/{{user}}/balance", headers={{"X-API-Key": "{WRONG_KEY}"}})
        assert r.status_code == 401, r.text
        print("{END}", file=sys.stderr, flush=True)

asyncio.run(main(sys.argv[1]))
"""


def _run_api(database_url: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WALLET_", "OTEL_"))}
    # Tracing is on only with an exporter: spans to stdout, after the request lines.
    env["OTEL_TRACES_EXPORTER"] = "console"
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, database_url],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=ROOT,
        env=env,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    return done.stderr + done.stdout


def _request_lines(output: str) -> list[dict[str, Any]]:
    inside = output.split(BEGIN, 1)[1].split(END, 1)[0]
    lines = [orjson.loads(line) for line in inside.splitlines() if line.startswith("{")]
    return [
        line
        for line in lines
        if line.get("event") not in BACKGROUND_EVENTS
        # The test's own client (httpx logs each call it makes, after the API answered).
        and not (line.get("logger") == "httpx" and "http://api/" in str(line.get("event")))
    ]


def test_request_log_lines_carry_request_and_trace_ids_and_no_key(database_url: str) -> None:
    output = _run_api(database_url)
    lines = _request_lines(output)

    accesses = [line for line in lines if line.get("event") == "http_request"]
    assert [a["status"] for a in accesses] == [201, 201, 201, 401]
    # Logged deep inside the payment, in the gateway call's span (at debug when it answered).
    assert any(line.get("event") == "gateway_attempt" for line in lines)
    for line in lines:
        assert line.get("request_id"), line
        assert len(str(line.get("trace_id", ""))) == 32, line
        assert len(str(line.get("span_id", ""))) == 16, line
    # One request, one trace: every line of a request has that request's trace id.
    traces_per_request: dict[str, set[str]] = {}
    for line in lines:
        traces_per_request.setdefault(line["request_id"], set()).add(line["trace_id"])
    assert len(traces_per_request) == 4
    assert all(len(ids) == 1 for ids in traces_per_request.values()), traces_per_request

    assert API_KEY not in output
    assert WRONG_KEY not in output
