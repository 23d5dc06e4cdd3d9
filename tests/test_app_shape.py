"""Every app has one shape, so a newcomer (and the next app) finds each piece in the same
place: the console script runs `<app>.__main__:main`; `<app>.main.make_app(*providers,
settings=None)` is the composition root; `<app>.ioc` holds the app's own providers."""

from __future__ import annotations

import importlib
import inspect
from importlib.metadata import entry_points
from typing import Final

import pytest
from dishka import Provider

APPS: Final = {
    "wallet-api": "wallet_api",
    "wallet-relay": "wallet_relay",
    "wallet-metrics-consumer": "wallet_metrics_consumer",
    "wallet-audit-consumer": "wallet_audit_consumer",
    "wallet-webhook-ingest": "wallet_webhook_ingest",
    "wallet-webhook-consumer": "wallet_webhook_consumer",
}


@pytest.mark.parametrize(("script", "package"), APPS.items())
def test_the_console_script_runs_the_apps_main(script: str, package: str) -> None:
    (entry,) = entry_points(group="console_scripts", name=script)
    assert entry.value == f"{package}.__main__:main"
    assert callable(entry.load())


@pytest.mark.parametrize("package", APPS.values())
def test_make_app_takes_override_providers_and_optional_settings(package: str) -> None:
    make_app = importlib.import_module(f"{package}.main").make_app
    parameters = list(inspect.signature(make_app).parameters.values())
    assert [(p.name, p.kind) for p in parameters] == [
        ("providers", inspect.Parameter.VAR_POSITIONAL),
        ("settings", inspect.Parameter.KEYWORD_ONLY),
    ]
    assert parameters[1].default is None


@pytest.mark.parametrize("package", APPS.values())
def test_the_apps_own_providers_live_in_its_ioc_module(package: str) -> None:
    ioc = importlib.import_module(f"{package}.ioc")
    own = [
        value
        for value in vars(ioc).values()
        if inspect.isclass(value)
        and issubclass(value, Provider)
        and value.__module__ == ioc.__name__
    ]
    assert own, f"{package}.ioc defines no provider"
