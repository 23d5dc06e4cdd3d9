"""`wallet-api` entry point: uvicorn in factory mode (so api_workers > 1 works) on the
limited httptools protocol, with the limits from the settings."""

from __future__ import annotations

import pickle

import httpx
import pytest
from wallet_api import __main__ as entry_point
from wallet_api.server.run import server_config
from wallet_infra.config.settings import Settings
from wallet_infra.http_server.protocol import LimitedHttpToolsProtocol


def test_main_runs_the_server_with_settings_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[Settings] = []
    monkeypatch.setattr(entry_point, "run", calls.append)
    monkeypatch.setenv("WALLET_API_PORT", "8123")
    entry_point.main()
    [settings] = calls
    assert settings.api_port == 8123


def test_idle_connections_outlast_the_idle_time_of_common_clients() -> None:
    """The server must not close a keep-alive connection first: a client reusing it just
    as the server's close is in flight sees its request fail with no answer (httpx keeps
    idle connections 5 s, load balancers typically 60 s)."""
    assert Settings().api_keep_alive_s > max(httpx.Limits().keepalive_expiry or 0, 60)
    assert Settings().webhook_ingest_keep_alive_s > max(httpx.Limits().keepalive_expiry or 0, 60)


def test_the_server_config_is_the_factory_on_the_limited_protocol() -> None:
    settings = Settings.model_validate(
        {
            "api_port": 8123,
            "api_workers": 3,
            "api_max_header_bytes": 8192,
            "api_header_timeout_s": 2.5,
            "api_body_timeout_s": 3.5,
            "api_max_connections": 77,
            "api_keep_alive_s": 9,
        }
    )
    config = server_config(settings)
    # serve_app: the worker's telemetry (OTEL_*), then make_app.
    assert (config.app, config.factory) == ("wallet_api.main:serve_app", True)
    assert (config.port, config.workers) == (8123, 3)
    assert config.access_log is False
    assert (config.loop, config.http, config.ws) == ("uvloop", LimitedHttpToolsProtocol, "none")
    assert config.timeout_keep_alive == 9
    limits = config.limits
    assert (limits.max_header_bytes, limits.header_timeout_s) == (8192, 2.5)
    assert (limits.body_timeout_s, limits.max_connections) == (3.5, 77)
    # Workers are spawned: the config, limits included, must survive pickling.
    assert pickle.loads(pickle.dumps(config)).limits == limits  # noqa: S301 - our own bytes
