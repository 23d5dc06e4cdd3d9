"""`wallet-api` entry point: uvicorn in factory mode, so api_workers > 1 works."""

from __future__ import annotations

from typing import Any

import pytest
import uvicorn
from wallet_api import __main__ as entry_point


def test_main_runs_uvicorn_with_the_factory(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[tuple[Any, ...], dict[str, Any]]] = []
    monkeypatch.setattr(uvicorn, "run", lambda *a, **kw: calls.append((a, kw)))
    monkeypatch.setenv("WALLET_API_PORT", "8123")
    monkeypatch.setenv("WALLET_API_WORKERS", "3")
    entry_point.main()
    [(args, kwargs)] = calls
    # serve_app: the worker's telemetry (OTEL_*), then make_app.
    assert args == ("wallet_api.main:serve_app",)
    assert kwargs["factory"] is True
    assert kwargs["port"] == 8123
    assert kwargs["workers"] == 3
    assert kwargs["access_log"] is False
    assert (kwargs["loop"], kwargs["http"]) == ("uvloop", "httptools")
