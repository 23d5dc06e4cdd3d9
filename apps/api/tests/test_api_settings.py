"""Settings as the API reads them: env (WALLET_*) over YAML over defaults."""

from __future__ import annotations

from pathlib import Path

import pydantic
import pytest
from wallet_infra.config.settings import Settings


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for name in list(os.environ):
        if name.startswith("WALLET_"):
            monkeypatch.delenv(name)


def test_defaults() -> None:
    settings = Settings()
    assert settings.database_url == "postgresql://wallet:wallet@localhost:5432/wallet"
    assert settings.amqp_url == "amqp://guest:guest@localhost:5672/"
    assert settings.gateway.url == "http://127.0.0.1:8100"
    assert settings.currencies == {"USD", "EUR", "GBP", "BRL", "MXN", "ARS", "JPY"}
    assert [(k.secret.get_secret_value(), k.user_id) for k in settings.api_keys] == [
        ("dev-key", None)
    ]
    # No worker count of its own: WEB_CONCURRENCY, else one (wallet_infra.http_server.workers).
    assert (settings.api_host, settings.api_port, settings.api_workers) == ("127.0.0.1", 8000, None)
    assert (settings.max_body_bytes, settings.request_timeout_s) == (16384, 10.0)
    assert (settings.idempotency_retention_h, settings.purge_interval_s) == (24, 300.0)
    assert settings.log_format == "console"


def test_comma_separated_env_lists(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WALLET_CURRENCIES", "USD, eur")
    monkeypatch.setenv("WALLET_API_KEYS", "svc-key, scoped=alice, padded==")
    settings = Settings()
    assert settings.currencies == {"USD", "EUR"}
    assert [(k.secret.get_secret_value(), k.user_id) for k in settings.api_keys] == [
        ("svc-key", None),
        ("scoped", "alice"),
        ("padded==", None),
    ]


def test_secrets_stay_out_of_repr_and_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WALLET_API_KEYS", "topsecret-1,topsecret-2=alice")
    monkeypatch.setenv("WALLET_DATABASE_URL", "postgresql://u:dbpass@h:5432/d")
    text = repr(Settings())
    assert "topsecret" not in text
    assert "dbpass" not in text
    monkeypatch.setenv("WALLET_API_KEYS", "topsecret-1=not a user!")
    with pytest.raises(pydantic.ValidationError) as raised:
        Settings()
    assert "topsecret" not in str(raised.value)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("WALLET_API_KEYS", ""),
        ("WALLET_API_KEYS", "same,same"),
        ("WALLET_CURRENCIES", "US"),
        ("WALLET_CURRENCIES", ","),
        ("WALLET_LOG_FORMAT", "xml"),
        ("WALLET_API_PORT", "0"),
        ("WALLET_IDEMPOTENCY_RETENTION_H", "1"),
        ("WALLET_GATEWAY_MAX_CONCURRENT", "0"),
    ],
)
def test_invalid_values_fail_at_start(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(pydantic.ValidationError):
        Settings()


def test_yaml_file_with_env_winning(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    config = tmp_path / "wallet.yaml"
    config.write_text(
        "currencies: [JPY, USD]\nlog_level: WARN\napi_port: 9000\ngateway_max_concurrent: 7\n"
        "api_keys: [a-key, b-key=bob]\n"
    )
    monkeypatch.setenv("WALLET_CONFIG_FILE", str(config))
    monkeypatch.setenv("WALLET_API_PORT", "9001")
    settings = Settings()
    assert settings.currencies == {"JPY", "USD"}
    assert settings.log_level == "warning"
    assert settings.api_port == 9001
    assert settings.gateway.max_concurrent == 7
    assert [k.user_id for k in settings.api_keys] == [None, "bob"]


def test_missing_yaml_file_fails_loudly(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("WALLET_CONFIG_FILE", str(tmp_path / "absent.yaml"))
    with pytest.raises(FileNotFoundError):
        Settings()


def test_unknown_yaml_key_is_an_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    config = tmp_path / "wallet.yaml"
    config.write_text("api_prot: 9000\n")  # a typo must not be silently ignored
    monkeypatch.setenv("WALLET_CONFIG_FILE", str(config))
    with pytest.raises(pydantic.ValidationError):
        Settings()
