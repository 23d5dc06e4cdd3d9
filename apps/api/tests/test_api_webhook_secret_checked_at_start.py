"""A malformed `WALLET_WEBHOOK_SECRETS` entry stops the process at start-up (the error
never echoing it), rather than letting the API report ready and then answer every
provider webhook with a 500."""

from __future__ import annotations

import os

import pydantic
import pytest
from wallet_infra.config.settings import DEV_WEBHOOK_SECRET, Settings

# `whsec_` followed by text that is not base64: no HMAC key can be made of it.
MALFORMED_SECRET = "whsec_!!!not-base64"


@pytest.fixture
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("WALLET_"):
            monkeypatch.delenv(name)


@pytest.mark.usefixtures("_clean_env")
@pytest.mark.parametrize(
    "value",
    [MALFORMED_SECRET, f"{DEV_WEBHOOK_SECRET},{MALFORMED_SECRET}"],
    ids=["alone", "beside-a-good-one"],
)
def test_a_malformed_webhook_secret_fails_at_start(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("WALLET_WEBHOOK_SECRETS", value)
    with pytest.raises(pydantic.ValidationError) as raised:
        Settings()
    assert "not-base64" not in str(raised.value)
