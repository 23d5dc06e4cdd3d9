""".env.example documents every setting: each `WALLET_*` field of the shared Settings and
each `MOCK_GATEWAY_*` field of the mock gateway, with a value equal to the built-in default
(so copying it to `.env` changes nothing until edited). A new Settings field fails here
until it is documented."""

from __future__ import annotations

import importlib
import os
import re
import sys
from typing import Any, Final

import pytest

# With --import-mode=importlib pytest may register the mock_gateway/ *directory* as a
# namespace package, hiding the installed one (see apps/api/tests/conftest.py).
if getattr(sys.modules.get("mock_gateway"), "__file__", "") is None:
    del sys.modules["mock_gateway"]
    importlib.import_module("mock_gateway")

from mock_gateway.settings import Settings as MockGatewaySettings
from pydantic import BaseModel
from pydantic_settings import BaseSettings
from wallet_infra.config.settings import Settings

from .deploy_tools import ROOT

ENV_EXAMPLE: Final = ROOT / ".env.example"
LINE: Final = re.compile(r"^(?P<comment>#\s*)?(?P<name>[A-Z][A-Z0-9_]*)=(?P<value>.*)$")
SETTINGS: Final[dict[str, type[BaseSettings]]] = {
    "WALLET_": Settings,
    "MOCK_GATEWAY_": MockGatewaySettings,
}
# Documented, but read by something other than the two Settings classes.
NOT_FIELDS: Final = {
    "WALLET_CONFIG_FILE",  # read by Settings' source set-up
    "WALLET_PG_PORT",  # compose.yaml host ports
    "WALLET_PG_REPLICA_PORT",
    "WALLET_COMPOSE_REPLICA_URLS",  # compose.yaml's API with the replica profile
    "WALLET_AMQP_PORT",
    "WALLET_RABBIT_UI_PORT",
    "WALLET_API_PUBLISH_PORT",
    "MOCK_GATEWAY_PUBLISH_PORT",
    "WALLET_WEBHOOK_INGEST_PUBLISH_PORT",
    "WALLET_JAEGER_UI_PORT",  # compose.yaml's observability profile
    "WALLET_PROMETHEUS_PORT",
    "WALLET_GRAFANA_PORT",
    "WALLET_GRAFANA_ADMIN_PASSWORD",
    "WALLET_TEST_DATABASE_URL",  # the test suite
    "WALLET_TEST_AMQP_URL",
    "WALLET_TEST_REPLICA_URL",
}


def _entries() -> dict[str, tuple[bool, str]]:
    """name -> (set, i.e. not commented out; value)."""
    entries: dict[str, tuple[bool, str]] = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        match = LINE.match(line.strip())
        if match:
            entries[match["name"]] = (match["comment"] is None, match["value"])
    return entries


def _env_names(prefix: str, settings: type[BaseModel]) -> set[str]:
    """One name per leaf field: a nested model's fields are `<PREFIX><FIELD>_<SUBFIELD>`."""
    names: set[str] = set()
    for name, field in settings.model_fields.items():
        nested = field.annotation
        if isinstance(nested, type) and issubclass(nested, BaseModel):
            names |= _env_names(f"{prefix}{name.upper()}_", nested)
        elif isinstance(field.validation_alias, str):  # a name a provider would use
            names.add(field.validation_alias)
        else:
            names.add(prefix + name.upper())
    return names


@pytest.mark.parametrize("prefix", SETTINGS)
def test_every_setting_is_documented(prefix: str) -> None:
    missing = _env_names(prefix, SETTINGS[prefix]) - set(_entries())
    assert not missing, f".env.example lacks {sorted(missing)}: document each with its default"


def test_nothing_documented_that_nobody_reads() -> None:
    known = NOT_FIELDS.union(*(_env_names(p, s) for p, s in SETTINGS.items()))
    unknown = {
        name for name in _entries() if name.startswith(tuple(SETTINGS)) and name not in known
    }
    assert not unknown, f".env.example documents unknown settings {sorted(unknown)}"


@pytest.mark.parametrize("prefix", SETTINGS)
def test_documented_values_are_the_defaults(prefix: str, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = SETTINGS[prefix]
    for name in [n for n in os.environ if n.startswith(tuple(SETTINGS))]:
        monkeypatch.delenv(name)  # the host's own settings must not hide a drifted value
    defaults: dict[str, Any] = settings().model_dump()
    names = _env_names(prefix, settings)
    for name, (is_set, value) in _entries().items():
        if is_set and name in names:
            monkeypatch.setenv(name, value)
    assert settings().model_dump() == defaults
