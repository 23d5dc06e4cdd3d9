"""The gateway knobs are one nested model, yet every name they ever had still sets them:
env `WALLET_GATEWAY_<KNOB>`, flat YAML / keyword keys `gateway_<knob>`, and the nested
`gateway: {<knob>: ...}` form; env wins over the file whichever form the file uses."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Final

import pydantic
import pytest
from wallet_infra.config.settings import Settings
from wallet_infra.gateway.settings import GatewaySettings

# The env names operators have configured since the knobs were flat fields, each with a
# value unlike its default. Literal on purpose: the names are the contract.
OLD_ENV_NAMES: Final[dict[str, tuple[str, str, Any]]] = {
    "WALLET_GATEWAY_URL": ("url", "http://gw.example:9", "http://gw.example:9"),
    "WALLET_GATEWAY_CONNECT_TIMEOUT_S": ("connect_timeout_s", "1.5", 1.5),
    "WALLET_GATEWAY_ATTEMPT_TIMEOUT_S": ("attempt_timeout_s", "2.5", 2.5),
    "WALLET_GATEWAY_MAX_ATTEMPTS": ("max_attempts", "4", 4),
    "WALLET_GATEWAY_RETRY_BUDGET_S": ("retry_budget_s", "6.5", 6.5),
    "WALLET_GATEWAY_BACKOFF_INITIAL_S": ("backoff_initial_s", "0.07", 0.07),
    "WALLET_GATEWAY_BACKOFF_MAX_S": ("backoff_max_s", "1.7", 1.7),
    "WALLET_GATEWAY_BACKOFF_JITTER_S": ("backoff_jitter_s", "0.03", 0.03),
    "WALLET_GATEWAY_LOOKUP_ATTEMPTS": ("lookup_attempts", "5", 5),
    "WALLET_GATEWAY_MAX_CONCURRENT": ("max_concurrent", "42", 42),
    "WALLET_GATEWAY_MAX_CONNECTIONS": ("max_connections", "43", 43),
    "WALLET_GATEWAY_BREAKER_FAILURE_THRESHOLD": ("breaker_failure_threshold", "9", 9),
    "WALLET_GATEWAY_BREAKER_RECOVERY_S": ("breaker_recovery_s", "12.5", 12.5),
}


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.upper().startswith("WALLET_"):
            monkeypatch.delenv(name)


def _yaml(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, text: str) -> None:
    config = tmp_path / "wallet.yaml"
    config.write_text(text)
    monkeypatch.setenv("WALLET_CONFIG_FILE", str(config))


def test_the_old_env_names_cover_every_knob() -> None:
    assert {knob for knob, _, _ in OLD_ENV_NAMES.values()} == set(GatewaySettings.model_fields)


@pytest.mark.parametrize("name", OLD_ENV_NAMES)
def test_each_old_env_name_still_sets_its_knob(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    knob, raw, expected = OLD_ENV_NAMES[name]
    assert getattr(GatewaySettings(), knob) != expected  # the test must see a change
    monkeypatch.setenv(name, raw)
    gateway = Settings().gateway
    assert getattr(gateway, knob) == expected
    others = set(GatewaySettings.model_fields) - {knob}
    assert gateway.model_dump(include=others) == GatewaySettings().model_dump(include=others)


def test_env_names_are_case_insensitive_as_before(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("wallet_gateway_max_concurrent", "8")
    assert Settings().gateway.max_concurrent == 8


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("gateway_max_concurrent: 7\ngateway_url: http://yaml:1\n", id="flat"),
        pytest.param("gateway:\n  max_concurrent: 7\n  url: http://yaml:1\n", id="nested"),
    ],
)
def test_yaml_sets_knobs_flat_or_nested_and_env_wins(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, text: str
) -> None:
    _yaml(monkeypatch, tmp_path, text)
    monkeypatch.setenv("WALLET_GATEWAY_URL", "http://env:2")
    gateway = Settings().gateway
    assert (gateway.max_concurrent, gateway.url) == (7, "http://env:2")


def test_keyword_arguments_win_over_env_flat_or_nested(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WALLET_GATEWAY_URL", "http://env:2")
    monkeypatch.setenv("WALLET_GATEWAY_MAX_ATTEMPTS", "6")
    flat = Settings(gateway_url="http://kw:3")  # type: ignore[call-arg]
    assert (flat.gateway.url, flat.gateway.max_attempts) == ("http://kw:3", 6)
    nested = Settings(gateway={"url": "http://kw:3"})  # type: ignore[arg-type]
    assert (nested.gateway.url, nested.gateway.max_attempts) == ("http://kw:3", 6)


def test_model_validate_takes_flat_keys() -> None:
    settings = Settings.model_validate({"gateway_attempt_timeout_s": 0.5, "gateway_url": "x:1"})
    assert (settings.gateway.attempt_timeout_s, settings.gateway.url) == (0.5, "x:1")


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("gateway_max_concurent: 7\n", id="flat-typo"),
        pytest.param("gateway:\n  max_concurent: 7\n", id="nested-typo"),
        pytest.param("gateway_backoff_initial_s: 2\ngateway_backoff_max_s: 1\n", id="bounds"),
    ],
)
def test_a_bad_gateway_key_in_yaml_fails_at_start(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, text: str
) -> None:
    _yaml(monkeypatch, tmp_path, text)
    with pytest.raises(pydantic.ValidationError):
        Settings()


def test_an_env_name_for_no_knob_fails_at_start(monkeypatch: pytest.MonkeyPatch) -> None:
    """Like a YAML typo: `WALLET_GATEWAY_MAX_CONCURENT` must not be silently ignored."""
    monkeypatch.setenv("WALLET_GATEWAY_MAX_CONCURENT", "7")
    with pytest.raises(pydantic.ValidationError):
        Settings()
