"""A `WALLET_WEBHOOK_SECRETS` entry whose key is empty (`whsec_`, `whsec_==`) is refused
like any other malformed secret: a settings ValidationError naming the setting (the
library's own error for it is not a ValueError)."""

from __future__ import annotations

import os

import pydantic
import pytest
from wallet_infra.config.settings import DEV_WEBHOOK_SECRET, Settings


@pytest.fixture
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("WALLET_"):
            monkeypatch.delenv(name)


@pytest.mark.usefixtures("_clean_env")
@pytest.mark.parametrize("value", ["whsec_", "whsec_==", f"{DEV_WEBHOOK_SECRET},whsec_"])
def test_an_empty_webhook_secret_is_a_settings_error(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("WALLET_WEBHOOK_SECRETS", value)
    with pytest.raises(pydantic.ValidationError) as raised:
        Settings()
    assert "webhook_secrets" in str(raised.value)
