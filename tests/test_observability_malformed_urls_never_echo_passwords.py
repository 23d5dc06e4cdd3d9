"""A malformed connection URL never puts its password in a log line, and a process does not
start with one (the settings refuse it, naming the setting only).

docs/operations.md (Configuration): "A process refuses to start with an invalid value,
and the error never echoes it (keys and URLs are secrets)". The URLs here forgot
`@host`, so the password sits where the port belongs.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path
from typing import Final

import httpx
import pytest
from wallet_testkit.processes import ServiceProcess, console_script, environ_without, free_port

pytestmark = pytest.mark.integration

ROOT: Final = Path(__file__).resolve().parents[1]
DB_PASSWORD: Final = "dbPassW0rd-r4x"
AMQP_PASSWORD: Final = "amqpPassW0rd-r4y"


def _lines_with(secret: str, output: str) -> list[str]:
    return [line for line in output.splitlines() if secret in line]


def test_the_api_with_a_malformed_database_url_never_logs_its_password() -> None:
    port = free_port()
    env = {
        **environ_without("WALLET_", "OTEL_", "PROMETHEUS_MULTIPROC_DIR"),
        "WALLET_DATABASE_URL": f"postgresql://wallet:{DB_PASSWORD}/wallet",
        "WALLET_API_PORT": str(port),
        "WALLET_API_METRICS_PORT": "0",
        "WALLET_RECOVERY_ENABLED": "false",
        "WALLET_LOG_FORMAT": "json",
    }
    api = ServiceProcess(
        "wallet-api",
        console_script("wallet-api", "wallet_api"),
        env,
        port=port,
        cwd=ROOT,
        new_session=True,
    )
    started = False
    try:
        deadline = time.monotonic() + 30
        while api.alive() and time.monotonic() < deadline:
            try:
                httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
            except httpx.TransportError:
                time.sleep(0.2)
                continue
            started = True
            # what a probe and a client do next
            httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=5)
            httpx.get(
                f"http://127.0.0.1:{port}/wallets/alice/balance",
                headers={"X-API-Key": "dev-key"},
                timeout=5,
            )
            break
    finally:
        output = api.close()
    assert _lines_with(DB_PASSWORD, output) == []
    assert not started, "the API started serving with an unparseable WALLET_DATABASE_URL"


def test_the_relay_with_a_malformed_amqp_url_never_prints_its_password(database_url: str) -> None:
    env = {
        **environ_without("WALLET_", "OTEL_", "PROMETHEUS_MULTIPROC_DIR"),
        "WALLET_DATABASE_URL": database_url,
        "WALLET_AMQP_URL": f"amqp://guest:{AMQP_PASSWORD}/",
        "WALLET_RELAY_METRICS_PORT": "0",
        "WALLET_LOG_FORMAT": "json",
    }
    done = subprocess.run(
        console_script("wallet-relay", "wallet_relay"),
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    output = done.stdout + done.stderr
    assert _lines_with(AMQP_PASSWORD, output) == []
